import CRdKafka
import Foundation
import Logging
import OrderPayCore

/// Start-up checks against the cluster: are the brokers reachable, do the topics exist (create them
/// if not), and how many partitions does each have.
enum KafkaTopics {
    /// The partition count of each topic, after creating the missing ones. Throws
    /// AppError(.unavailable) when no broker answers within the configured connect timeout.
    static func prepare(_ names: [String], handle: OpaquePointer, config: KafkaConfig, logger: Logger) throws -> [String: Int32] {
        var partitions = try partitionCounts(handle: handle, config: config)
        let missing = names.filter { (partitions[$0] ?? 0) == 0 }
        guard !missing.isEmpty else { return partitions }
        var failure = ""
        do {
            try create(missing, handle: handle, config: config)
            logger.info("created Kafka topics", metadata: ["topics": "\(missing.joined(separator: ","))"])
        } catch {
            // Brokers without the admin API (librdkafka's mock cluster among them) may have
            // created them some other way in the meantime; the partition counts below tell.
            failure = ": \(error)"
        }
        // New topics take a moment to show up in metadata.
        for _ in 0..<20 {
            partitions = try partitionCounts(handle: handle, config: config)
            if names.allSatisfy({ (partitions[$0] ?? 0) > 0 }) { return partitions }
            Thread.sleep(forTimeInterval: 0.1)
        }
        // Starting anyway would leave the event readers blind to a topic created later.
        let absent = names.filter { (partitions[$0] ?? 0) == 0 }
        throw AppError(.unavailable, "Kafka topics \(absent.joined(separator: ", ")) do not exist and could not be created\(failure)")
    }

    static func partitionCounts(handle: OpaquePointer, config: KafkaConfig) throws -> [String: Int32] {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(handle, 1, nil, &metadata, config.connectTimeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw AppError(.unavailable, "Kafka brokers at \(config.bootstrapServers) are unreachable: \(KafkaError(error, "metadata"))")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        var counts: [String: Int32] = [:]
        for topic in UnsafeBufferPointer(start: metadata.pointee.topics, count: Int(metadata.pointee.topic_cnt))
        where topic.err == RD_KAFKA_RESP_ERR_NO_ERROR {
            counts[String(cString: topic.topic)] = Int32(topic.partition_cnt)
        }
        return counts
    }

    static func create(_ names: [String], handle: OpaquePointer, config: KafkaConfig) throws {
        var reason = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer { newTopics.forEach { rd_kafka_NewTopic_destroy($0) } }
        for name in names {
            guard let topic = rd_kafka_NewTopic_new(name, Int32(config.partitions), Int32(config.replicationFactor), &reason, reason.count) else {
                throw AppError.validation("cannot describe topic \(name): \(KafkaConfig.text(reason))", field: "kafka")
            }
            newTopics.append(topic)
        }
        let queue = rd_kafka_queue_new(handle)
        defer { rd_kafka_queue_destroy(queue) }
        rd_kafka_CreateTopics(handle, &newTopics, newTopics.count, nil, queue)
        guard let event = rd_kafka_queue_poll(queue, config.connectTimeoutMilliseconds) else {
            throw AppError(.unavailable, "Kafka did not answer CreateTopics in time")
        }
        defer { rd_kafka_event_destroy(event) }
        let error = rd_kafka_event_error(event)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error, "CreateTopics") }
        guard let result = rd_kafka_event_CreateTopics_result(event) else { return }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
        for topic in UnsafeBufferPointer(start: results, count: count) {
            let error = rd_kafka_topic_result_error(topic)
            if error != RD_KAFKA_RESP_ERR_NO_ERROR && error != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
                throw KafkaError(error, "CreateTopics \(String(cString: rd_kafka_topic_result_name(topic)))")
            }
        }
    }
}
