import Foundation
import OrderPayCore

/// An event as an event stream sends it: with the position a client resumes after it from (the
/// SSE id). On the SQL logs that is the event's log sequence; a log whose sequences are its own
/// process's (Kafka) gives a position every process can resume from instead.
public struct PositionedEvent: Equatable, Sendable {
    public let position: String
    public let envelope: EventEnvelope

    public init(position: String, envelope: EventEnvelope) {
        self.position = position
        self.envelope = envelope
    }
}

/// A stream position a client sent that the log still understands but can no longer serve:
/// the events after it are gone (with Kafka: retention deleted them). Resuming from it would
/// silently skip events, so the stream is refused instead.
public struct StreamPositionExpired: Error, Sendable, CustomStringConvertible {
    public let detail: String
    public init(_ detail: String) { self.detail = detail }
    public var description: String { detail }
}

/// The positions of event streams (`/api/events/stream`). Positions are strings a client holds
/// without reading them. The defaults are the SQL logs': a position is a log sequence, which
/// means the same on every process sharing the log.
public extension EventLog {
    func streamPosition(afterSequence sequence: Int64) async throws -> String { String(sequence) }

    func streamPositionAtEnd() async throws -> String {
        String(try await latest(count: 1, topics: nil).last?.sequence ?? 0)
    }

    func streamPosition(resuming text: String, topics: Set<Topic>?) async throws -> String? {
        Int64(text).map(String.init)
    }

    func stream(after position: String, topics: Set<Topic>?, limit: Int) async throws -> [PositionedEvent] {
        guard let sequence = Int64(position) else {
            throw AppError(.validation, "'\(position)' is not a position of this event log")
        }
        return try await tail(after: sequence, topics: topics, limit: limit)
            .map { PositionedEvent(position: String($0.sequence), envelope: $0.envelope) }
    }
}
