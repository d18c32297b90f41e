import Foundation
import OrderPayCore
import OrderPayServices
import Synchronization

/// The events this process appended to the SQLite log most recently, per topic, decoded, so its
/// own consumers read what it just wrote without a read transaction and a JSON decode per event.
///
/// Only ever a shortcut: a question it cannot answer in full from a run of consecutive offsets
/// (an event another process appended, or one that aged out) returns nil and goes to SQLite.
/// Entries are recorded after their transaction committed, so nothing uncommitted is served.
final class RecentEvents: Sendable {
    private final class TopicWindow {
        var byOffset: [Int64: LoggedEvent] = [:]
        var offsetBySequence: [Int64: Int64] = [:]
        var insertionOrder: [Int64] = []   // offsets, oldest first, for eviction
        var evicted = 0                    // how much of insertionOrder is already gone
    }

    private let capacity: Int
    /// One window per topic, made up front: the map itself never changes, only the windows in it.
    private let windows: Mutex<[Topic: TopicWindow]>

    init(capacity: Int = 4096) {
        self.capacity = capacity
        windows = Mutex(Dictionary(uniqueKeysWithValues: Topic.allCases.map { ($0, TopicWindow()) }))
    }

    func record(_ events: [LoggedEvent]) {
        guard !events.isEmpty else { return }
        windows.withLock { windows in
            for event in events {
                let offset = event.envelope.offset
                guard let window = windows[event.envelope.topic], window.byOffset[offset] == nil else { continue }
                window.byOffset[offset] = event
                window.offsetBySequence[event.sequence] = offset
                window.insertionOrder.append(offset)
                while window.byOffset.count > capacity, window.evicted < window.insertionOrder.count {
                    let old = window.insertionOrder[window.evicted]
                    window.evicted += 1
                    if let gone = window.byOffset.removeValue(forKey: old) { window.offsetBySequence[gone.sequence] = nil }
                }
                if window.evicted > capacity {   // compact the eviction queue now and then
                    window.insertionOrder.removeFirst(window.evicted)
                    window.evicted = 0
                }
            }
        }
    }

    /// `topic`'s events from `offset` on, as long as their offsets run on without a gap; nil when
    /// `offset` itself is not here.
    func read(topic: Topic, from offset: Int64, limit: Int) -> [EventEnvelope]? {
        windows.withLock { windows in
            guard let window = windows[topic] else { return nil }
            let run = Self.run(in: window, from: offset, limit: limit)
            return run.isEmpty ? nil : run.map(\.envelope)
        }
    }

    /// `topic`'s events after the one at log position `sequence`, which must be one of this
    /// topic's events still here (the cursor of a reader that follows this topic alone).
    func tail(after sequence: Int64, topic: Topic, limit: Int) -> [LoggedEvent]? {
        windows.withLock { windows in
            guard let window = windows[topic], let offset = window.offsetBySequence[sequence] else { return nil }
            let run = Self.run(in: window, from: offset + 1, limit: limit)
            return run.isEmpty ? nil : run
        }
    }

    private static func run(in window: TopicWindow, from offset: Int64, limit: Int) -> [LoggedEvent] {
        var run: [LoggedEvent] = []
        var next = offset
        while run.count < limit, let event = window.byOffset[next] {
            run.append(event)
            next += 1
        }
        return run
    }
}
