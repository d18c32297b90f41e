import CRdKafka
import Foundation
import OrderPayCore
import OrderPayServices

/// Reads given offset ranges of some partitions straight from Kafka, for a stream resuming from a
/// cursor older than what this process's ring holds (another process made it, or this one before
/// a restart, or the ring has moved on). A short-lived consumer assigned at the ranges' starts: no
/// group membership, no commits, destroyed after the read. Blocking: run it off the async pool.
enum KafkaRangeReader {
    /// Up to `limit` events of the ranges, each partition's in offset order from its range's start
    /// (so what is returned is, per partition, an unbroken run from the cursor). Unreadable
    /// messages are passed on with no envelope: they move the position on but are not sent.
    ///
    /// Throws `StreamPositionExpired` when a range starts before the oldest message Kafka still
    /// holds, and a KafkaError when the brokers do not deliver within `timeout`.
    static func read(_ ranges: [PartitionKey: Range<Int64>], limit: Int, config: KafkaConfig, probe: KafkaOffsetProbe,
                     timeout: Duration = .seconds(10)) throws -> [TailMessage] {
        try checkHeld(ranges, probe: probe)
        let handle = try config.client(RD_KAFKA_CONSUMER, [
            ("group.id", "orderpay-resume-\(UUID().uuidString)"),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            // Never jump past a range retention has deleted: that is the loud failure, not a skip.
            ("auto.offset.reset", "error"),
        ])
        defer {
            rd_kafka_consumer_close(handle)
            rd_kafka_destroy(handle)
        }
        rd_kafka_poll_set_consumer(handle)
        let list = rd_kafka_topic_partition_list_new(Int32(ranges.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (key, range) in ranges { rd_kafka_topic_partition_list_add(list, key.topic, key.partition)?.pointee.offset = range.lowerBound }
        let assigned = rd_kafka_assign(handle, list)
        guard assigned == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(assigned, "cannot assign the partitions to resume from") }
        defer { rd_kafka_assign(handle, nil) }

        var pending = Set(ranges.keys)
        var messages: [TailMessage] = []
        let deadline = ContinuousClock.now + timeout
        while !pending.isEmpty, messages.count < limit {
            guard ContinuousClock.now < deadline else {
                throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, "reading older events to resume the stream")
            }
            guard let message = rd_kafka_consumer_poll(handle, 200) else { continue }
            defer { rd_kafka_message_destroy(message) }
            let m = message.pointee
            guard let name = rd_kafka_topic_name(m.rkt) else { continue }
            let key = PartitionKey(topic: String(cString: name), partition: m.partition)
            if m.err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET || m.err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE {
                throw StreamPositionExpired("Kafka no longer holds \(key.topic)/\(key.partition) from offset \(ranges[key]?.lowerBound ?? 0)")
            }
            guard m.err == RD_KAFKA_RESP_ERR_NO_ERROR, let range = ranges[key], pending.contains(key),
                  let topic = Topic(rawValue: key.topic) else { continue }
            if m.offset >= range.upperBound { pending.remove(key); continue }
            let received = ReceivedMessage(topic: key.topic, partition: m.partition, offset: m.offset,
                                           value: m.payload.map { Data(bytes: $0, count: m.len) } ?? Data())
            messages.append(TailMessage(topic: topic, partition: m.partition, offset: m.offset, envelope: try? EnvelopeCoding.decode(received)))
            if m.offset + 1 >= range.upperBound { pending.remove(key) }
        }
        return messages
    }

    /// Refuses ranges starting before a partition's oldest message (retention deleted the rest).
    static func checkHeld(_ ranges: [PartitionKey: Range<Int64>], probe: KafkaOffsetProbe) throws {
        for (key, range) in ranges.sorted(by: { ($0.key.topic, $0.key.partition) < ($1.key.topic, $1.key.partition) }) {
            let oldest = try probe.oldest(key)
            if range.lowerBound < oldest {
                throw StreamPositionExpired("Kafka no longer holds \(key.topic)/\(key.partition) from offset \(range.lowerBound) "
                                            + "(its oldest is \(oldest)): the events after it cannot be streamed")
            }
        }
    }
}
