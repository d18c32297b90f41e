import OrderPayCore

/// A page of one topic's history: events with offset >= `from`, and where to continue.
public struct EventPage: Codable, Sendable {
    public var topic: Topic
    public var from: Int64
    public var limit: Int
    /// The offset to ask for next (`from` when the page is empty).
    public var nextOffset: Int64
    /// The offset the next event of the topic will get.
    public var endOffset: Int64
    public var events: [EventEnvelope]
    /// On a page asked for with `after`: the stream position after its last event (the one
    /// asked for when it is empty), to ask for the next page with.
    public var nextAfter: String?

    public init(topic: Topic, from: Int64, limit: Int, nextOffset: Int64, endOffset: Int64, events: [EventEnvelope], nextAfter: String? = nil) {
        self.topic = topic; self.from = from; self.limit = limit
        self.nextOffset = nextOffset; self.endOffset = endOffset; self.events = events; self.nextAfter = nextAfter
    }
}
