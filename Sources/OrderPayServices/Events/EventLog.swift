import Foundation
import OrderPayCore

/// An event as stored in the log, with its position in the whole log (across topics), which is
/// what a live subscription resumes from.
public struct LoggedEvent: Equatable, Sendable {
    public let sequence: Int64
    public let envelope: EventEnvelope

    public init(sequence: Int64, envelope: EventEnvelope) {
        self.sequence = sequence
        self.envelope = envelope
    }
}

public struct DeadLetter: Codable, Equatable, Sendable {
    public let id: Int64
    public let group: String
    public let event: EventEnvelope
    public let error: String
    public let attempts: Int
    public let failedAt: Date
    public let replayedAt: Date?

    public init(id: Int64, group: String, event: EventEnvelope, error: String, attempts: Int, failedAt: Date, replayedAt: Date?) {
        self.id = id; self.group = group; self.event = event; self.error = error
        self.attempts = attempts; self.failedAt = failedAt; self.replayedAt = replayedAt
    }
}

/// The durable event log: per-topic append-only sequences with offsets, consumer-group offsets and
/// dead letters. SQLite implements it for one machine; Kafka can implement it when scaled out.
public protocol EventLog: AnyObject, Sendable {
    /// Appends events, each to its topic's sequence. Events whose id is already in the log are
    /// skipped (an outbox relay that crashed before marking them sent re-appends them).
    func append(_ drafts: [EventDraft]) async throws

    /// Appends events copied from a service's outbox and, in the same transaction, records how far
    /// that outbox has been copied, so the relay needs no second write to mark them sent.
    func relay(_ events: [SerializedEvent], from source: String, through outboxId: Int64) async throws

    /// The last outbox id of `source` already in the log (0 when none).
    func relayCursor(source: String) async throws -> Int64

    /// Events of one topic with offset >= `from`, in offset order (on the SQL logs without a gap).
    /// Like a Kafka fetch it may return fewer than `limit` while more exist; an empty result means
    /// none. A reader that wants all of them reads again from the next offset until it gets none.
    func read(topic: Topic, from offset: Int64, limit: Int) async throws -> [EventEnvelope]

    /// Up to `limit` events of `topic` from `offset` on, as a history page shows them.
    func page(topic: Topic, from offset: Int64, limit: Int) async throws -> [EventEnvelope]

    /// Events of every topic (or the given ones) after a log sequence number, in append order
    /// (on the SQL logs without a gap); like `read`, possibly fewer than `limit` while more exist.
    func tail(after sequence: Int64, topics: Set<Topic>?, limit: Int) async throws -> [LoggedEvent]

    /// The most recent events (newest last), for a view that starts at "now minus N".
    func latest(count: Int, topics: Set<Topic>?) async throws -> [LoggedEvent]

    // Event streams (see EventStreamPositions.swift; the SQL logs take the defaults there).

    /// The stream position just after log sequence `sequence` of this process (`?from=`).
    func streamPosition(afterSequence sequence: Int64) async throws -> String
    /// The stream position after the newest event: a stream from here sends only new ones.
    func streamPositionAtEnd() async throws -> String
    /// The position `text` (a client's Last-Event-ID) names, in this log's own spelling; nil
    /// when it is none. Throws `StreamPositionExpired` when the events of `topics` after it are gone.
    func streamPosition(resuming text: String, topics: Set<Topic>?) async throws -> String?
    /// Events after `position`, each with the position after it; like `tail`, possibly fewer
    /// than `limit` while more exist, never with a gap or a repeat.
    func stream(after position: String, topics: Set<Topic>?, limit: Int) async throws -> [PositionedEvent]

    /// The offset the next event of `topic` will get.
    func endOffset(topic: Topic) async throws -> Int64

    func committedOffset(group: String, topic: Topic) async throws -> Int64
    func commit(group: String, topic: Topic, offset: Int64) async throws

    func addDeadLetter(group: String, event: EventEnvelope, error: String, attempts: Int) async throws
    func deadLetters(includeReplayed: Bool) async throws -> [DeadLetter]
    func deadLetter(id: Int64) async throws -> DeadLetter?
    func markReplayed(id: Int64, at: Date) async throws

    /// Fires after every append made by this process.
    var appended: Signal { get }

    /// Fires after an append to `topic` made by this process: a consumer of one topic is not
    /// woken by the others.
    func appended(to topic: Topic) -> Signal
}

public extension EventLog {
    /// For a log whose offsets run on across its whole topic: `read` again until the page is
    /// full or the topic has no more. (Kafka's in-process ring answers with one read: its
    /// offsets are per partition, so "from the next offset" would repeat events.)
    func page(topic: Topic, from offset: Int64, limit: Int) async throws -> [EventEnvelope] {
        var page: [EventEnvelope] = []
        while page.count < limit {
            let more = try await read(topic: topic, from: (page.last?.offset).map { $0 + 1 } ?? offset, limit: limit - page.count)
            if more.isEmpty { break }
            page += more
        }
        return page
    }

    /// How far a consumer group is behind, per topic.
    func lag(group: String, topic: Topic) async throws -> Int64 {
        let end = try await endOffset(topic: topic)
        return max(0, end - (try await committedOffset(group: group, topic: topic)))
    }
}
