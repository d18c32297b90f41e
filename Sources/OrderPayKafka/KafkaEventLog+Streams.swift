import Foundation
import OrderPayCore
import OrderPayServices

/// Event streams with Kafka: a stream position is a PartitionCursor (every partition's next
/// offset), which every process reading the cluster resumes from exactly, not the ring's
/// sequence numbers, which are this process's own. What the ring no longer holds (or never held:
/// a cursor from a process that read further back, or from before a restart) is read from Kafka.
extension KafkaEventLog {
    /// An integer is this process's sequence (`?from=`, a log sequence as on the SQL logs).
    public func streamPosition(afterSequence sequence: Int64) async throws -> String {
        ring.position(afterSequence: sequence).text
    }

    public func streamPositionAtEnd() async throws -> String { ring.positionNow().text }

    /// Refuses now, while the answer can still be an HTTP status, a cursor whose following
    /// events Kafka no longer holds.
    public func streamPosition(resuming text: String, topics: Set<Topic>?) async throws -> String? {
        if let sequence = Int64(text) { return ring.position(afterSequence: sequence).text }
        guard let cursor = PartitionCursor(text: text) else { return nil }
        if case .behind(let ranges) = ring.stream(after: cursor, topics: topics, limit: 0) {
            let probe = self.probe
            try await translatingKafkaErrors { try await backfill.run { try KafkaRangeReader.checkHeld(ranges, probe: probe) } }
        }
        return cursor.text
    }

    public func stream(after position: String, topics: Set<Topic>?, limit: Int) async throws -> [PositionedEvent] {
        guard var cursor = Int64(position).map(ring.position(afterSequence:)) ?? PartitionCursor(text: position) else {
            throw AppError(.validation, "'\(position)' is no event stream position of this Kafka log")
        }
        while true {
            let ranges: [PartitionKey: Range<Int64>]
            switch ring.stream(after: cursor, topics: topics, limit: limit) {
            case .events(let events): return events
            case .behind(let behind): ranges = behind
            }
            let config = self.config, probe = self.probe
            let messages = try await translatingKafkaErrors {
                try await backfill.run { try KafkaRangeReader.read(ranges, limit: limit, config: config, probe: probe) }
            }
            var events: [PositionedEvent] = []
            for message in messages {
                cursor.deliver(message.topic, message.partition, offset: message.offset)
                if let envelope = message.envelope { events.append(PositionedEvent(position: cursor.text, envelope: envelope)) }
            }
            // Only unreadable messages: go on past them rather than answer nothing and read them again.
            if !events.isEmpty || messages.isEmpty { return events }
        }
    }
}
