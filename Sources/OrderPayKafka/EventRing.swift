import Foundation
import OrderPayCore
import OrderPayServices

/// The most recent events read from Kafka, in the order this process received them, numbered with
/// local sequence numbers (Kafka has no order across partitions, so a reader's "log position" is
/// this process's). Fires `appended` and the per-topic signals after every batch.
final class EventRing: @unchecked Sendable {
    let capacity: Int
    let appended = Signal()
    private let topicSignals: [Topic: Signal] = Dictionary(uniqueKeysWithValues: Topic.allCases.map { ($0, Signal()) })
    private let lock = NSLock()
    private var events: [LoggedEvent] = []   // oldest first, at most `capacity`
    private var nextSequence: Int64 = 1

    init(capacity: Int) { self.capacity = capacity }

    func signal(for topic: Topic) -> Signal { topicSignals[topic]! }

    func append(_ envelopes: [EventEnvelope]) {
        guard !envelopes.isEmpty else { return }
        lock.withLock {
            for envelope in envelopes {
                events.append(LoggedEvent(sequence: nextSequence, envelope: envelope))
                nextSequence += 1
            }
            if events.count > capacity { events.removeFirst(events.count - capacity) }
        }
        appended.notify()
        Set(envelopes.map(\.topic)).forEach { topicSignals[$0]?.notify() }
    }

    func tail(after sequence: Int64, topics: Set<Topic>?, limit: Int) -> [LoggedEvent] {
        lock.withLock {
            // Sequences are dense: the first event after `sequence` sits at a computable index.
            guard let first = events.first else { return [] }
            let start = Int(max(0, min(Int64(events.count), sequence + 1 - first.sequence)))
            var result: [LoggedEvent] = []
            for event in events[start...] where topics?.contains(event.envelope.topic) ?? true {
                result.append(event)
                if result.count >= limit { break }
            }
            return result
        }
    }

    func latest(count: Int, topics: Set<Topic>?) -> [LoggedEvent] {
        lock.withLock {
            var result: [LoggedEvent] = []
            for event in events.reversed() where topics?.contains(event.envelope.topic) ?? true {
                if result.count >= count { break }
                result.append(event)
            }
            return result.reversed()
        }
    }

    /// Events of `topic` with a partition offset >= `offset`, in arrival order.
    func read(topic: Topic, from offset: Int64, limit: Int) -> [EventEnvelope] {
        lock.withLock {
            var result: [EventEnvelope] = []
            for event in events where event.envelope.topic == topic && event.envelope.offset >= offset {
                result.append(event.envelope)
                if result.count >= limit { break }
            }
            return result
        }
    }
}
