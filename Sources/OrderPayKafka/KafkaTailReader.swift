import CRdKafka
import Foundation
import Logging
import OrderPayCore

/// A group-less reader of every partition of the OrderPay topics that feeds an EventRing: what the
/// console's event pane, `orderpay events tail` and /api/events read with Kafka. It assigns the
/// partitions itself (no subscribe, no commit), so it never joins or disturbs a consumer group.
/// It starts a little before the end of each partition so "the latest N events" are there at once,
/// at offsets it tells the ring, so the ring knows from where on it holds each partition.
final class KafkaTailReader: @unchecked Sendable {
    let handle: OpaquePointer
    let partitions: [String: Int32]
    private let ring: EventRing
    private let logger: Logger
    private let closed = StopFlag()
    private let done = DispatchSemaphore(value: 0)

    init(config: KafkaConfig, topics: [String], ring: EventRing, probe: KafkaOffsetProbe, logger: Logger) throws {
        self.ring = ring
        self.logger = logger
        // A group id is needed for rd_kafka_consumer_poll; a unique one that never commits leaves no trace.
        handle = try config.client(RD_KAFKA_CONSUMER, [
            ("group.id", "orderpay-tail-\(UUID().uuidString)"),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            // A start retention has deleted meanwhile begins at the oldest message left; the ring
            // sees the jump and reads older cursors from Kafka (where they are then found gone).
            ("auto.offset.reset", "earliest"),
        ])
        do {
            partitions = try KafkaTopics.prepare(topics, handle: handle, config: config, logger: logger)
        } catch {
            rd_kafka_destroy(handle)
            throw error
        }
        rd_kafka_poll_set_consumer(handle)
        let keys = topics.flatMap { topic in (0..<(partitions[topic] ?? 0)).map { PartitionKey(topic: topic, partition: $0) } }
        let backlog = Int64(max(1, ring.capacity / max(1, keys.count)))
        let start: PartitionCursor
        do {
            start = try Self.startPositions(keys, backlog: backlog, probe: probe)
        } catch {
            rd_kafka_destroy(handle)
            throw error
        }
        ring.start(at: start)
        let list = rd_kafka_topic_partition_list_new(Int32(keys.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for key in keys {
            let offset = Topic(rawValue: key.topic).map { start.next($0, key.partition) } ?? op_rd_kafka_offset_end()
            rd_kafka_topic_partition_list_add(list, key.topic, key.partition)?.pointee.offset = offset
        }
        let error = rd_kafka_assign(handle, list)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            rd_kafka_destroy(handle)
            throw KafkaError(error, "cannot assign the event tail's partitions")
        }
        nonisolated(unsafe) let handle = self.handle
        let closed = self.closed, done = self.done
        let thread = Thread {
            while !closed.isSet { KafkaTailReader.pollOnce(handle, ring: ring, logger: logger) }
            done.signal()
        }
        thread.name = "kafka-event-tail"
        thread.start()
    }

    /// `backlog` messages before each partition's end (or its start).
    private static func startPositions(_ keys: [PartitionKey], backlog: Int64, probe: KafkaOffsetProbe) throws -> PartitionCursor {
        let ends = try probe.latest(keys)
        var start = PartitionCursor(offsets: [:])
        for key in keys {
            guard let topic = Topic(rawValue: key.topic) else { continue }
            start.deliver(topic, key.partition, offset: max(0, (ends[key] ?? 0) - backlog) - 1)
        }
        return start
    }

    private static func pollOnce(_ handle: OpaquePointer, ring: EventRing, logger: Logger) {
        var batch: [TailMessage] = []
        var wait: Int32 = 200
        while batch.count < 500, let message = rd_kafka_consumer_poll(handle, wait) {
            wait = 0
            defer { rd_kafka_message_destroy(message) }
            let m = message.pointee
            guard m.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            guard let name = rd_kafka_topic_name(m.rkt), let topic = Topic(rawValue: String(cString: name)) else { continue }
            let received = ReceivedMessage(topic: topic.rawValue, partition: m.partition, offset: m.offset,
                                           value: m.payload.map { Data(bytes: $0, count: m.len) } ?? Data())
            // An unreadable message still moves its partition's position on (nil envelope).
            batch.append(TailMessage(topic: topic, partition: m.partition, offset: m.offset,
                                     envelope: try? EnvelopeCoding.decode(received)))
        }
        ring.append(batch)
    }

    func close() {
        guard closed.set() else { return }
        done.wait()
        rd_kafka_consumer_close(handle)
        rd_kafka_destroy(handle)
    }
}
