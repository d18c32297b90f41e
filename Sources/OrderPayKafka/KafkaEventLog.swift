import CRdKafka
import Foundation
import Logging
import OrderPayCore
import OrderPayServices
import OrderPayStore

/// The EventLog readers see when events travel through Kafka.
///
/// - read/tail/latest come from an in-memory ring fed by a group-less tail reader of every
///   partition; sequence numbers are local to this process, and a topic "offset" is a partition
///   offset (Kafka has no offset across a topic's partitions).
/// - Event streams' positions are partition cursors any process resumes from
///   (KafkaEventLog+Streams.swift), read from Kafka itself when older than the ring.
/// - endOffset is the sum of the partitions' high watermarks; committedOffset the sum of a group's
///   committed partition offsets, so `lag` is the group's total lag.
/// - Dead letters stay in the database: they are delegated to the SQL event log the stores opened.
/// - append/relay publish through the producer; commit is the consumers' business (per partition)
///   and is refused here.
public final class KafkaEventLog: EventLog, @unchecked Sendable {
    let ring: EventRing
    let reader: KafkaTailReader
    let database: any EventLog
    let config: KafkaConfig
    let producer: @Sendable () throws -> KafkaProducer
    let probe: KafkaOffsetProbe
    private let groupsLock = NSLock()
    private var groupHandles: [String: OpaquePointer] = [:]
    private let blocking = BlockingQueue(label: "kafka-event-log")
    /// Streams resuming from before the ring read Kafka here, not holding up `blocking`'s queries.
    let backfill = BlockingQueue(label: "kafka-stream-backfill")

    init(config: KafkaConfig, database: any EventLog, producer: @escaping @Sendable () throws -> KafkaProducer,
         probe: KafkaOffsetProbe, ringCapacity: Int, logger: Logger) throws {
        self.config = config
        self.probe = probe
        self.database = database
        self.producer = producer
        ring = EventRing(capacity: ringCapacity)
        reader = try KafkaTailReader(config: config, topics: Topic.allCases.map(\.rawValue), ring: ring, probe: probe, logger: logger)
    }

    public var appended: Signal { ring.appended }
    public func appended(to topic: Topic) -> Signal { ring.signal(for: topic) }

    public func append(_ drafts: [EventDraft]) async throws {
        try await translatingKafkaErrors { try await producer().send(try drafts.map(EnvelopeCoding.message)) }
    }

    public func relay(_ events: [SerializedEvent], from source: String, through outboxId: Int64) async throws {
        try await translatingKafkaErrors { try await producer().send(try events.map(EnvelopeCoding.message)) }
    }

    /// Kafka relays delete what they delivered, so every outbox row left is unsent.
    public func relayCursor(source: String) async throws -> Int64 { 0 }

    public func read(topic: Topic, from offset: Int64, limit: Int) async throws -> [EventEnvelope] {
        ring.read(topic: topic, from: offset, limit: limit)
    }

    public func page(topic: Topic, from offset: Int64, limit: Int) async throws -> [EventEnvelope] {
        ring.read(topic: topic, from: offset, limit: limit)
    }

    public func tail(after sequence: Int64, topics: Set<Topic>?, limit: Int) async throws -> [LoggedEvent] {
        ring.tail(after: sequence, topics: topics, limit: limit)
    }

    public func latest(count: Int, topics: Set<Topic>?) async throws -> [LoggedEvent] {
        ring.latest(count: count, topics: topics)
    }

    public func endOffset(topic: Topic) async throws -> Int64 {
        let probe = self.probe, count = reader.partitions[topic.rawValue] ?? 0
        return try await translatingKafkaErrors {
            try await blocking.run {
                try probe.latest((0..<count).map { PartitionKey(topic: topic.rawValue, partition: $0) }).values.reduce(0, +)
            }
        }
    }

    public func committedOffset(group: String, topic: Topic) async throws -> Int64 {
        let count = reader.partitions[topic.rawValue] ?? 0
        return try await translatingKafkaErrors { try await committedOffset(group: group, topic: topic, partitions: count) }
    }

    private func committedOffset(group: String, topic: Topic, partitions count: Int32) async throws -> Int64 {
        let handle = try groupHandle(group)
        return try await blocking.run {
            let list = rd_kafka_topic_partition_list_new(count)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            for partition in 0..<count { rd_kafka_topic_partition_list_add(list, topic.rawValue, partition) }
            let error = rd_kafka_committed(handle, list, 2000)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, "committed offsets of \(group)") }
            return UnsafeBufferPointer(start: list!.pointee.elems, count: Int(list!.pointee.cnt)).reduce(Int64(0)) { $0 + max(0, $1.offset) }
        }
    }

    public func commit(group: String, topic: Topic, offset: Int64) async throws {
        throw AppError(.conflict, "with Kafka, consumer groups commit per partition; a topic-wide offset cannot be set")
    }

    public func addDeadLetter(group: String, event: EventEnvelope, error: String, attempts: Int) async throws {
        try await database.addDeadLetter(group: group, event: event, error: error, attempts: attempts)
    }

    public func deadLetters(includeReplayed: Bool) async throws -> [DeadLetter] {
        try await database.deadLetters(includeReplayed: includeReplayed)
    }

    public func deadLetter(id: Int64) async throws -> DeadLetter? { try await database.deadLetter(id: id) }

    public func markReplayed(id: Int64, at date: Date) async throws { try await database.markReplayed(id: id, at: date) }

    /// A consumer handle carrying `group`'s id, never subscribed: it only asks for committed offsets.
    private func groupHandle(_ group: String) throws -> OpaquePointer {
        try groupsLock.withLock {
            if let handle = groupHandles[group] { return handle }
            let handle = try config.client(RD_KAFKA_CONSUMER, [("group.id", group), ("enable.auto.commit", "false")])
            groupHandles[group] = handle
            return handle
        }
    }

    func close() {
        reader.close()
        groupsLock.withLock {
            groupHandles.values.forEach { rd_kafka_destroy($0) }
            groupHandles.removeAll()
        }
    }
}
