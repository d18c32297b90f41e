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

    /// The high watermark (next offset to be written) of each partition, in one round.
    func latest(_ partitions: [PartitionKey], timeout: Int32 = 2000) throws -> [PartitionKey: Int64] {
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

    func close() { rd_kafka_destroy(handle) }
}
