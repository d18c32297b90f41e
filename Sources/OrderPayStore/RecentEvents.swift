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
        var byOffset: RecentRing<LoggedEvent>
        /// The offset of each event here, by its log sequence (the cursor of a reader that
        /// follows one topic). Sequences interleave across topics, so slots also go to numbers of
        /// other topics' events: for a topic with less than a quarter of the events, the oldest
        /// of its cursors here may be gone from this ring while the event is still in `byOffset`
        /// (a read from SQLite then, not a wrong answer).
        var offsetBySequence: RecentRing<Int64>
        init(capacity: Int) {
            byOffset = RecentRing(capacity: capacity)
            offsetBySequence = RecentRing(capacity: capacity * 4)
        }
    }

    /// One window per topic, made up front: the map itself never changes, only the windows in it.
    private let windows: Mutex<[Topic: TopicWindow]>

    init(capacity: Int = 4096) {
        windows = Mutex(Dictionary(uniqueKeysWithValues: Topic.allCases.map { ($0, TopicWindow(capacity: capacity)) }))
    }

    func record(_ events: [LoggedEvent]) {
        guard !events.isEmpty else { return }
        windows.withLock { windows in
            for event in events {
                let offset = event.envelope.offset
                guard let window = windows[event.envelope.topic], window.byOffset[offset] == nil else { continue }
                window.byOffset.add(event, for: offset)
                window.offsetBySequence.add(offset, for: event.sequence)
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
            // The event itself must still be here: a newer one may have taken its offset's slot.
            guard let window = windows[topic], let offset = window.offsetBySequence[sequence],
                  window.byOffset[offset]?.sequence == sequence else { return nil }
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
