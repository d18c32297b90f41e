import CRdKafka
import Foundation
import OrderPayCore

/// librdkafka's built-in mock cluster: real brokers speaking the Kafka protocol over loopback, in
/// this process, with the OrderPay topics created (`KafkaConfig.defaultPartitions` each, replicated on every broker). The
/// tests run on it, and `orderpay bench flow --kafka-mock` for a machine without a broker (it
/// measures the client side and the partition sharing, not a real broker's disk).
public final class KafkaMockCluster: @unchecked Sendable {
    public let brokers: Int32
    public let bootstraps: String

    /// What clients of the mock cluster should set: it holds an empty fetch for the full
    /// fetch.wait.max.ms (500 ms by default) even when messages arrive meanwhile, which a real
    /// broker does not, so each hop of the flow waited up to half a second.
    public static let clientProperties = ["fetch.wait.max.ms": "10"]
    private let owner: OpaquePointer
    private let cluster: OpaquePointer

    public init(brokers: Int32 = 3, partitions: Int32 = Int32(KafkaConfig.defaultPartitions), createTopics: Bool = true) throws {
        self.brokers = brokers
        var reason = [CChar](repeating: 0, count: 256)
        let conf = rd_kafka_conf_new()
        rd_kafka_conf_set(conf, "log_level", "0", &reason, reason.count)
        guard let owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &reason, reason.count) else {
            throw AppError(.internal, "cannot create the mock cluster's owner handle")
        }
        guard let cluster = rd_kafka_mock_cluster_new(owner, Int32(brokers)) else {
            rd_kafka_destroy(owner)
            throw AppError(.internal, "cannot create a mock Kafka cluster")
        }
        self.owner = owner
        self.cluster = cluster
        bootstraps = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
        for topic in Topic.allCases where createTopics {
            let error = rd_kafka_mock_topic_create(cluster, topic.rawValue, partitions, brokers)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw AppError(.internal, "mock topic \(topic.rawValue): \(error)") }
        }
    }

    /// Takes every broker down (connections are closed, new ones refused) or brings them back.
    public func setBrokers(up: Bool) {
        for id in 1...brokers {
            if up { rd_kafka_mock_broker_set_up(cluster, id) } else { rd_kafka_mock_broker_set_down(cluster, id) }
        }
    }

    /// Hands every partition of `topic` to the next broker, as a cluster restart does: clients
    /// that cached the old leaders are told "Not leader for partition".
    public func moveLeaders(of topic: Topic, partitions: Int32 = Int32(KafkaConfig.defaultPartitions), by step: Int32 = 1) {
        for partition in 0..<partitions {
            rd_kafka_mock_partition_set_leader(cluster, topic.rawValue, partition, (partition + step) % brokers + 1)
        }
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(owner)
    }
}
