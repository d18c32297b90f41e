import Foundation
import Logging
import OrderPayCore
import OrderPayKafka
import OrderPayServices
import OrderPayStore

/// Events through Kafka (`--kafka` / ORDERPAY_KAFKA): relays publish each outbox to its topic keyed
/// by order id, one Kafka consumer per (group, topic) feeds each handler, and readers see the
/// topics through KafkaEventLog. Dead letters stay in the database (`stores.events`).
///
/// One consumer per (group, topic) rather than per group: it mirrors the seam (one handler per
/// topic), so a slow or failing handler on one topic never holds back the other topic's
/// partitions, and each worker's idle check covers exactly the partitions its handler owns.
/// Both still use the group's id, so instances share each topic's partitions.
struct KafkaEventTransport: EventTransport {
    let kafka: KafkaEvents
    var log: any EventLog { kafka.log }

    func relay(from source: any OutboxSource, logger: Logger) -> any FlowWorker {
        kafka.relay(from: source, logger: logger)
    }

    func consumer(group: String, topic: Topic, logger: Logger, handler: @escaping EventHandler) -> any FlowWorker {
        kafka.consumer(group: group, topic: topic, logger: logger, handler: handler)
    }

    func close() async { kafka.close() }
}

extension KafkaRelay: FlowWorker {}
extension KafkaGroupWorker: FlowWorker {}
