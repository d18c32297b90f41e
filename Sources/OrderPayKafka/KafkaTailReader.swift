import CRdKafka
import Foundation
import Logging
import OrderPayCore

/// A group-less reader of every partition of the OrderPay topics that feeds an EventRing: what the
/// console's event pane, `orderpay events tail` and /api/events read with Kafka. It assigns the
/// partitions itself (no subscribe, no commit), so it never joins or disturbs a consumer group.
/// It starts a little before the end of each partition so "the latest N events" are there at once.
final class KafkaTailReader: @unchecked Sendable {
    let handle: OpaquePointer
    let partitions: [String: Int32]
    private let ring: EventRing
    private let logger: Logger
    private let closed = StopFlag()
    private let done = DispatchSemaphore(value: 0)

    init(config: KafkaConfig, topics: [String], ring: EventRing, logger: Logger) throws {
        self.ring = ring
        self.logger = logger
        // A group id is needed for rd_kafka_consumer_poll; a unique one that never commits leaves no trace.
        handle = try config.client(RD_KAFKA_CONSUMER, [
            ("group.id", "orderpay-tail-\(UUID().uuidString)"),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
        ])
        do {
            partitions = try KafkaTopics.prepare(topics, handle: handle, config: config, logger: logger)
        } catch {
            rd_kafka_destroy(handle)
            throw error
        }
        rd_kafka_poll_set_consumer(handle)
        let total = topics.reduce(0) { $0 + Int(partitions[$1] ?? 0) }
        let backlog = Int64(max(1, ring.capacity / max(1, total)))
        let list = rd_kafka_topic_partition_list_new(Int32(total))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics {
            for partition in 0..<(partitions[topic] ?? 0) {
                rd_kafka_topic_partition_list_add(list, topic, partition)?.pointee.offset = op_rd_kafka_offset_tail(backlog)
            }
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

    private static func pollOnce(_ handle: OpaquePointer, ring: EventRing, logger: Logger) {
        var batch: [EventEnvelope] = []
        var wait: Int32 = 200
        while batch.count < 500, let message = rd_kafka_consumer_poll(handle, wait) {
            wait = 0
            defer { rd_kafka_message_destroy(message) }
            let m = message.pointee
            guard m.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            let received = ReceivedMessage(topic: "", partition: m.partition, offset: m.offset,
                                           value: m.payload.map { Data(bytes: $0, count: m.len) } ?? Data())
            if let envelope = try? EnvelopeCoding.decode(received) { batch.append(envelope) }
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
