import CRdKafka
import Foundation
import OrderPayCore

/// A message as read from Kafka, copied out of librdkafka's buffers.
struct ReceivedMessage: Sendable {
    let topic: String
    let partition: Int32
    let offset: Int64
    let value: Data
}

/// A partition of a topic.
struct PartitionKey: Hashable, Sendable {
    let topic: String
    let partition: Int32
}

/// A group member subscribed to some topics: offsets are stored only by `commit`, synchronously,
/// after the caller handled the messages. Every call that blocks runs on this consumer's own
/// queue, and so do the rebalance callbacks (librdkafka serves them inside poll and close).
final class KafkaConsumer: @unchecked Sendable {
    let group: String
    private let handle: OpaquePointer
    private let rebalance: RebalanceState
    private let blocking: BlockingQueue
    private let closed = StopFlag()
    /// Held by the idle check's queries (from another thread) and by destroy, so a check racing a
    /// stop never touches a freed handle.
    private let lifetime = NSLock()
    private var destroyed = false

    init(config: KafkaConfig, group: String, topics: [String]) throws {
        self.group = group
        rebalance = RebalanceState()
        blocking = BlockingQueue(label: "kafka-consumer-\(group)")
        handle = try config.client(RD_KAFKA_CONSUMER, [
            ("group.id", group),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("auto.offset.reset", "earliest"),
            // Eager assignors: a rebalance revokes everything, which the callback below handles.
            ("partition.assignment.strategy", "range,roundrobin"),
            // Faster membership changes than the defaults (3 s / 45 s): a crashed instance's
            // partitions move to the others within seconds.
            ("heartbeat.interval.ms", "500"),
            ("session.timeout.ms", "6000"),
        ], opaque: Unmanaged.passUnretained(rebalance).toOpaque()) { conf in
            rd_kafka_conf_set_rebalance_cb(conf) { handle, error, partitions, opaque in
                guard let opaque else { return }
                let state = Unmanaged<RebalanceState>.fromOpaque(opaque).takeUnretainedValue()
                if error == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
                    rd_kafka_assign(handle, partitions)
                    state.assigned(partitions.map(KafkaConsumer.keys) ?? [])
                } else {
                    // Revoked (or an error): every batch handed out earlier was committed before
                    // this poll, so there is nothing to commit; only forget what was in hand.
                    rd_kafka_assign(handle, nil)
                    state.revoked()
                }
            }
        }
        rd_kafka_poll_set_consumer(handle)
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics { rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA) }
        let error = rd_kafka_subscribe(handle, list)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            rd_kafka_destroy(handle)
            throw KafkaError(error, "cannot subscribe group \(group) to \(topics.joined(separator: ", "))")
        }
    }

    /// True once the group gave this member its first assignment (possibly empty).
    var hasJoined: Bool { rebalance.hasJoined }

    /// Up to `max` messages, waiting at most `timeout` for the first. A rebalance callback runs
    /// inside poll, before that poll returns a message; messages returned before a rebalance that
    /// happened while this batch was gathered are dropped: their partitions restart from the
    /// committed offset, here or at another member, so handing them out would double them.
    /// Messages returned after it belong to the new assignment and are kept (dropping those would
    /// lose them: the fetch position has already moved past them).
    func poll(max: Int, timeout: Duration) async throws -> [ReceivedMessage] {
        let handle = self.handle, rebalance = self.rebalance, closed = self.closed
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        return try await blocking.run {
            guard !closed.isSet else { return [] }
            var batch: [(generation: UInt64, message: ReceivedMessage)] = []
            var wait = milliseconds
            while batch.count < max, let message = rd_kafka_consumer_poll(handle, wait) {
                wait = 0
                defer { rd_kafka_message_destroy(message) }
                let m = message.pointee
                guard m.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { continue }
                    throw KafkaError(m.err, "consumer \(rebalance.description) poll")
                }
                let topic = m.rkt.flatMap { rd_kafka_topic_name($0) }.map { String(cString: $0) } ?? ""
                let value = m.payload.map { Data(bytes: $0, count: m.len) } ?? Data()
                batch.append((rebalance.generation, ReceivedMessage(topic: topic, partition: m.partition, offset: m.offset, value: value)))
            }
            let current = rebalance.generation
            return batch.filter { $0.generation == current }.map(\.message)
        }
    }

    /// Commits, synchronously, `offset + 1` of the last handled message of each partition. If the
    /// commit fails, the partitions are rewound to the batch's first offsets before rethrowing: the
    /// fetcher has moved past the batch, and without the rewind a partition that stays assigned
    /// would never be committed past it. The handlers skip the redelivered events by id.
    func commit(_ handled: [ReceivedMessage]) async throws {
        var next: [PartitionKey: Int64] = [:], first: [PartitionKey: Int64] = [:]
        for message in handled {
            let key = PartitionKey(topic: message.topic, partition: message.partition)
            next[key] = Swift.max(next[key] ?? 0, message.offset + 1)
            first[key] = Swift.min(first[key] ?? .max, message.offset)
        }
        guard !next.isEmpty else { return }
        let handle = self.handle, group = self.group, offsets = next, rewind = first
        try await blocking.run {
            do {
                try Self.commit(handle, offsets, group: group)
            } catch {
                let list = Self.list(rewind)
                defer { rd_kafka_topic_partition_list_destroy(list) }
                if let seekError = rd_kafka_seek_partitions(handle, list, 2000) { rd_kafka_error_destroy(seekError) }
                throw error
            }
        }
    }

    /// How long a commit may wait for the group coordinator. A synchronous `rd_kafka_commit`
    /// waits forever while every broker is down, and `stop()` waited with it; past this bound the
    /// commit counts as failed (the batch is rewound and, after a stop, simply redelivered).
    static let commitTimeoutMs: Int32 = 5000

    private static func commit(_ handle: OpaquePointer, _ offsets: [PartitionKey: Int64], group: String) throws {
        let list = list(offsets)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        guard let queue = rd_kafka_queue_new(handle) else { throw KafkaError(RD_KAFKA_RESP_ERR__FAIL, "group \(group) commit queue") }
        defer { rd_kafka_queue_destroy(queue) }
        let error = rd_kafka_commit_queue(handle, list, queue, nil, nil)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error, "group \(group) commit") }
        guard let event = rd_kafka_queue_poll(queue, Int32(commitTimeoutMs)) else {
            throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, "group \(group) commit (no answer within \(commitTimeoutMs) ms)")
        }
        defer { rd_kafka_event_destroy(event) }
        let result = rd_kafka_event_error(event)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(result, "group \(group) commit") }
        // A reply can carry an error per partition with none for the request as a whole.
        if let committed = rd_kafka_event_topic_partition_list(event) {
            for element in UnsafeBufferPointer(start: committed.pointee.elems, count: Int(committed.pointee.cnt))
            where element.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(element.err, "group \(group) commit of \(String(cString: element.topic))/\(element.partition)")
            }
        }
    }

    private static func list(_ offsets: [PartitionKey: Int64]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(offsets.count))!
        for (key, offset) in offsets {
            rd_kafka_topic_partition_list_add(list, key.topic, key.partition)?.pointee.offset = offset
        }
        return list
    }

    /// The partitions assigned to this member now.
    func assignment() throws -> [PartitionKey] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        let error = rd_kafka_assignment(handle, &list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { throw KafkaError(error, "group \(group) assignment") }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return Self.keys(list)
    }

    /// The group's committed next offsets of `partitions` (absent where none was committed). Blocks
    /// for a coordinator round trip: call off the cooperative pool.
    func committed(_ partitions: [PartitionKey], timeout: Int32 = 2000) throws -> [PartitionKey: Int64] {
        let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for key in partitions { rd_kafka_topic_partition_list_add(list, key.topic, key.partition) }
        let error = rd_kafka_committed(handle, list, timeout)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, "group \(group) committed offsets") }
        var result: [PartitionKey: Int64] = [:]
        for element in UnsafeBufferPointer(start: list!.pointee.elems, count: Int(list!.pointee.cnt)) {
            let key = PartitionKey(topic: String(cString: element.topic), partition: element.partition)
            if element.offset >= 0 { result[key] = element.offset }
        }
        return result
    }

    /// Leaves the group (its partitions move to the other members at once) and frees the handle.
    func close() async {
        guard closed.set() else { return }
        let handle = self.handle, rebalance = self.rebalance
        _ = try? await blocking.run {
            // rd_kafka_consumer_close blocks until the coordinator answers, which is never while
            // every broker is down (stop() hung with it); the queued close is served for a while
            // and then given up, leaving that handle to the process's exit.
            let closedCleanly = Self.closeWithin(handle, seconds: Self.closeTimeoutSeconds)
            self.lifetime.withLock {
                self.destroyed = true
                if closedCleanly { rd_kafka_destroy(handle) }
            }
            _ = rebalance   // the callbacks' opaque must outlive the handle
        }
    }

    static let closeTimeoutSeconds: TimeInterval = 5

    /// Leaves the group through the queued close, serving it until done or `seconds` pass.
    private static func closeWithin(_ handle: OpaquePointer, seconds: TimeInterval) -> Bool {
        guard let queue = rd_kafka_queue_new(handle) else { return false }
        defer { rd_kafka_queue_destroy(queue) }
        if let error = rd_kafka_consumer_close_queue(handle, queue) {
            rd_kafka_error_destroy(error)
            return false
        }
        let deadline = Date().addingTimeInterval(seconds)
        while rd_kafka_consumer_closed(handle) == 0 && Date() < deadline {
            guard let event = rd_kafka_queue_poll(queue, 100) else { continue }
            // Closing revokes the assignment: acknowledge it, as the rebalance callback would.
            if rd_kafka_event_type(event) == RD_KAFKA_EVENT_REBALANCE { _ = rd_kafka_assign(handle, nil) }
            rd_kafka_event_destroy(event)
        }
        return rd_kafka_consumer_closed(handle) != 0
    }

    /// Runs `body` unless the handle was destroyed (then nil), keeping it alive meanwhile.
    func whileOpen<T>(_ body: () throws -> T) rethrows -> T? {
        try lifetime.withLock { destroyed ? nil : try body() }
    }

    static func keys(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> [PartitionKey] {
        UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt)).map {
            PartitionKey(topic: String(cString: $0.topic), partition: $0.partition)
        }
    }
}

/// What the rebalance callback tells the rest of the consumer: whether it joined, and a generation
/// that changes on every assignment change.
final class RebalanceState: @unchecked Sendable, CustomStringConvertible {
    private let lock = NSLock()
    private var joined = false
    private var changes: UInt64 = 0
    private var current: [PartitionKey] = []

    var hasJoined: Bool { lock.withLock { joined } }
    var generation: UInt64 { lock.withLock { changes } }
    var description: String { lock.withLock { "\(current.count) partitions" } }

    func assigned(_ partitions: [PartitionKey]) {
        lock.withLock { joined = true; changes &+= 1; current = partitions }
    }

    func revoked() {
        lock.withLock { changes &+= 1; current = [] }
    }
}
