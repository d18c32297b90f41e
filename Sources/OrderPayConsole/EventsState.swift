import Foundation
import OrderPayCore

/// The live event stream: a bounded ring, with an absolute index for each event so a paused
/// viewport stays put while new events arrive.
///
/// With a topic filter the pane shows a second ring: that topic's events, from the live ring,
/// from the stream as it goes on, and from the topic's history as the backend returns it, so a
/// filter on a rare topic shows its last `capacity` events, not just those among the last
/// `capacity` of all. It has indices of its own; `cursor` and `pausedAt` are in the indices of
/// the ring on screen. The live ring (`events`, `endIndex`) stays whole for the rows the
/// stream patches.
public struct EventsState: Sendable {
    public var capacity: Int
    public private(set) var events: [StreamedEvent] = []
    /// Absolute index of `events[0]`.
    public private(set) var firstIndex = 0
    public var follow = true
    /// The end index (on screen) frozen by `p`; nil when live.
    public var pausedAt: Int?
    public var showTimestamps = true
    public var wrap = false
    public var fullscreen = false
    public var topic: Topic? {
        didSet { if topic != oldValue { refilter() } }
    }
    /// The filtered topic's events, oldest first, and the index of the first.
    public private(set) var topicEvents: [StreamedEvent] = []
    public private(set) var topicFirstIndex = 0
    /// Absolute index (on screen) of the selected event when not following.
    public var cursor = 0
    public var connection: StreamStatus?

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    /// The end of the live ring: every event the stream has brought.
    public var endIndex: Int { firstIndex + events.count }
    /// The first and end index of the ring on screen.
    public var visibleFirst: Int { topic == nil ? firstIndex : topicFirstIndex }
    public var visibleEnd: Int { topic == nil ? endIndex : topicFirstIndex + topicEvents.count }
    public var newWhilePaused: Int { pausedAt.map { visibleEnd - $0 } ?? 0 }

    public mutating func append(_ batch: [StreamedEvent]) {
        events.append(contentsOf: batch)
        if events.count > capacity {
            let drop = events.count - capacity
            events.removeFirst(drop)
            firstIndex += drop
        }
        if let topic {
            topicEvents.append(contentsOf: batch.filter { $0.envelope.topic == topic })
            if topicEvents.count > capacity {
                let drop = topicEvents.count - capacity
                topicEvents.removeFirst(drop)
                topicFirstIndex += drop
            }
        }
        cursor = max(cursor, visibleFirst)
    }

    /// The topic's latest events as the backend had them, in its order. The filtered ring holds
    /// every event of the topic since some point, so those of the history it lacks (matched by
    /// event id: with Kafka, offsets count per partition) are older: they go in front of it, as
    /// many as there is room for (the newest of them). Indices on screen stay as they were.
    public mutating func mergeHistory(_ history: [StreamedEvent], of topic: Topic) {
        guard topic == self.topic else { return }
        let wasEmpty = topicEvents.isEmpty
        let known = Set(topicEvents.map(\.envelope.eventId))
        let older = history.filter { $0.envelope.topic == topic && !known.contains($0.envelope.eventId) }
            .suffix(max(0, capacity - topicEvents.count))
        topicEvents.insert(contentsOf: older, at: 0)
        topicFirstIndex -= older.count
        // Nothing was on screen to stay on: the selection goes to the newest, as a new filter's does.
        if wasEmpty { cursor = max(visibleFirst, visibleEnd - 1) }
    }

    /// The events a viewport may show (topic filter applied, up to the pause point), oldest first.
    public var shown: [(index: Int, event: StreamedEvent)] {
        let end = pausedAt ?? visibleEnd
        let (first, ring) = topic == nil ? (firstIndex, events) : (topicFirstIndex, topicEvents)
        var out: [(Int, StreamedEvent)] = []
        for (offset, event) in ring.enumerated() where first + offset < end { out.append((first + offset, event)) }
        return out
    }

    /// A new filter starts from the live ring's events of the topic (its history follows), at
    /// the newest; a pause holds at the new view's end.
    private mutating func refilter() {
        topicEvents = topic.map { topic in events.filter { $0.envelope.topic == topic } } ?? []
        topicFirstIndex = 0
        if pausedAt != nil { pausedAt = visibleEnd }
        cursor = max(visibleFirst, visibleEnd - 1)
    }
}
