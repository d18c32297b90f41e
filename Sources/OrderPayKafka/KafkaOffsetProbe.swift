import CRdKafka
import Foundation
import OrderPayCore

/// Asks the partition leaders for their latest offsets on a handle of its own. A consumer's
/// connections carry its long-polling fetches, and Kafka answers a connection's requests in order,
/// so a ListOffsets sent there waits out the fetch (up to fetch.wait.max.ms); this handle never
/// fetches. Used by the idle checks and the event log's end offsets.
final class KafkaOffsetProbe: @unchecked Sendable {
    private let handle: OpaquePointer

    init(config: KafkaConfig) throws {
        handle = try config.client(RD_KAFKA_PRODUCER, [])
    }

    /// The high watermark (next offset to be written) of each partition, in one round; once more
    /// after refreshing the metadata if that fails.
    ///
    /// This handle produces nothing, so librdkafka refreshes no topic's metadata for it on its own:
    /// after the cluster restarted (leaders moved) it kept asking the old leaders, and every answer
    /// was "Not leader for partition" for good. Asking for the metadata updates its cache.
    func latest(_ partitions: [PartitionKey], timeout: Int32 = 2000) throws -> [PartitionKey: Int64] {
        do {
            return try latestOnce(partitions, timeout: timeout)
        } catch let error as KafkaError where ![RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN,
                                                 RD_KAFKA_RESP_ERR__TRANSPORT].contains(error.code) {
            // Not when no broker answered: a metadata request would wait out its timeout as well.
            var metadata: UnsafePointer<rd_kafka_metadata>?
            if rd_kafka_metadata(handle, 1, nil, &metadata, timeout) == RD_KAFKA_RESP_ERR_NO_ERROR {
                rd_kafka_metadata_destroy(metadata)
            }
            return try latestOnce(partitions, timeout: timeout)
        }
    }

    private func latestOnce(_ partitions: [PartitionKey], timeout: Int32) throws -> [PartitionKey: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for key in partitions {
            rd_kafka_topic_partition_list_add(list, key.topic, key.partition)?.pointee.offset = op_rd_kafka_offset_end()
        }
        let error = rd_kafka_offsets_for_times(handle, list, timeout)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, "latest offsets") }
        var result: [PartitionKey: Int64] = [:]
        for element in UnsafeBufferPointer(start: list!.pointee.elems, count: Int(list!.pointee.cnt)) {
            let key = PartitionKey(topic: String(cString: element.topic), partition: element.partition)
            guard element.err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(element.err, "latest offset of \(key.topic)/\(key.partition)") }
            result[key] = element.offset
        }
        return result
    }

    /// The low watermark (the oldest offset retention has left) of a partition.
    func oldest(_ key: PartitionKey, timeout: Int32 = 2000) throws -> Int64 {
        var low: Int64 = 0, high: Int64 = 0
        let error = rd_kafka_query_watermark_offsets(handle, key.topic, key.partition, &low, &high, timeout)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, "oldest offset of \(key.topic)/\(key.partition)") }
        return low
    }

    func close() { rd_kafka_destroy(handle) }
}
