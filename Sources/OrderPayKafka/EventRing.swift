import Foundation
import OrderPayCore
import OrderPayServices

/// A message the tail reader received: its event, or nil for one this version cannot read
/// (which still moves the partition's position on).
struct TailMessage: Sendable {
    let topic: Topic
    let partition: Int32
    let offset: Int64
    let envelope: EventEnvelope?
}

/// What the ring answers a stream resuming from a cursor.
enum RingStreamRead {
    case events([PositionedEvent])
    /// The ring does not reach back to the cursor for these partitions: from the cursor's
    /// offset up to (not including) the first the ring holds everything from.
    case behind([PartitionKey: Range<Int64>])
}

/// The most recent events read from Kafka, in the order this process received them, numbered with
/// local sequence numbers (Kafka has no order across partitions, so a reader's "log position" is
/// this process's). Fires `appended` and the per-topic signals after every batch.
///
/// It also knows, per partition, from which offset on it has seen every message (`covered`) and
/// the offset of the next one (`next`), so a stream can resume from a PartitionCursor, which
/// any process understands, and learn when it must read older events from Kafka.
final class EventRing: @unchecked Sendable {
    private struct Entry {
        let sequence: Int64
        let partition: Int32
        let envelope: EventEnvelope
    }

    let capacity: Int
    let appended = Signal()
    private let topicSignals: [Topic: Signal] = Dictionary(uniqueKeysWithValues: Topic.allCases.map { ($0, Signal()) })
    private let lock = NSLock()
    private var events: [Entry] = []   // oldest first, at most `capacity`
    private var nextSequence: Int64 = 1
    /// Per partition: every message from this offset on is in the ring, or was unreadable.
    private var covered = PartitionCursor(offsets: [:])
    /// Per partition: the offset of the next message (what a stream starting now resumes from).
    private var next = PartitionCursor(offsets: [:])

    init(capacity: Int) { self.capacity = capacity }

    func signal(for topic: Topic) -> Signal { topicSignals[topic]! }

    /// Where the reader starts each partition, before the first message arrives.
    func start(at positions: PartitionCursor) {
        lock.withLock { covered = positions; next = positions }
    }

    func append(_ messages: [TailMessage]) {
        guard !messages.isEmpty else { return }
        lock.withLock {
            for message in messages {
                let expected = next.next(message.topic, message.partition)
                if message.offset < expected { continue }   // seen already
                // A jump (the reader was reset past messages retention deleted): the ring no longer
                // holds everything before this one, so older cursors are read from Kafka.
                if message.offset > expected { cover(from: message.offset, message.topic, message.partition) }
                next.deliver(message.topic, message.partition, offset: message.offset)
                guard let envelope = message.envelope else { continue }
                events.append(Entry(sequence: nextSequence, partition: message.partition, envelope: envelope))
                nextSequence += 1
            }
            if events.count > capacity {
                for evicted in events.prefix(events.count - capacity) {
                    cover(from: evicted.envelope.offset + 1, evicted.envelope.topic, evicted.partition)
                }
                events.removeFirst(events.count - capacity)
            }
        }
        appended.notify()
        Set(messages.compactMap { $0.envelope?.topic }).forEach { topicSignals[$0]?.notify() }
    }

    func tail(after sequence: Int64, topics: Set<Topic>?, limit: Int) -> [LoggedEvent] {
        lock.withLock {
            var result: [LoggedEvent] = []
            for event in events[firstIndex(after: sequence)...] where topics?.contains(event.envelope.topic) ?? true {
                result.append(LoggedEvent(sequence: event.sequence, envelope: event.envelope))
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
                result.append(LoggedEvent(sequence: event.sequence, envelope: event.envelope))
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

    /// The cursor after every message received so far.
    func positionNow() -> PartitionCursor { lock.withLock { next } }

    /// The cursor after this process's sequence `sequence`: per partition, the offset of its
    /// first event held after that sequence, or the next offset when it has none. A sequence
    /// older than the ring reads as the ring's oldest, as `tail` does.
    func position(afterSequence sequence: Int64) -> PartitionCursor {
        lock.withLock {
            var position = next
            var placed = Set<PartitionKey>()
            for event in events[firstIndex(after: sequence)...] {
                let key = PartitionKey(topic: event.envelope.topic.rawValue, partition: event.partition)
                guard placed.insert(key).inserted else { continue }
                position.deliver(event.envelope.topic, event.partition, offset: event.envelope.offset - 1)
            }
            return position
        }
    }

    /// The events after `cursor` of the wanted topics, per partition in offset order, each with
    /// the cursor after it; or the partitions the ring does not reach back far enough for.
    func stream(after cursor: PartitionCursor, topics: Set<Topic>?, limit: Int) -> RingStreamRead {
        lock.withLock {
            var behind: [PartitionKey: Range<Int64>] = [:]
            for (topic, list) in covered.offsets where topics?.contains(topic) ?? true {
                for (partition, from) in list.enumerated() where cursor.next(topic, Int32(partition)) < from {
                    behind[PartitionKey(topic: topic.rawValue, partition: Int32(partition))] = cursor.next(topic, Int32(partition))..<from
                }
            }
            if !behind.isEmpty { return .behind(behind) }
            var position = cursor
            var result: [PositionedEvent] = []
            for event in events where topics?.contains(event.envelope.topic) ?? true {
                guard event.envelope.offset >= position.next(event.envelope.topic, event.partition) else { continue }
                position.deliver(event.envelope.topic, event.partition, offset: event.envelope.offset)
                result.append(PositionedEvent(position: position.text, envelope: event.envelope))
                if result.count >= limit { break }
            }
            return .events(result)
        }
    }

    /// The ring holds a partition's messages from `offset` on (or fewer, never more, than it did).
    private func cover(from offset: Int64, _ topic: Topic, _ partition: Int32) {
        if covered.next(topic, partition) < offset { covered.deliver(topic, partition, offset: offset - 1) }
    }

    /// Sequences are dense: the first event after `sequence` sits at a computable index.
    private func firstIndex(after sequence: Int64) -> Int {
        guard let first = events.first else { return 0 }
        return Int(max(0, min(Int64(events.count), sequence + 1 - first.sequence)))
    }
}
