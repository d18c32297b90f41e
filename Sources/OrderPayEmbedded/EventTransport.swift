import Foundation
import Logging
import OrderPayCore
import OrderPayKafka
import OrderPayServices
import OrderPayStore

/// A long-running stage of the event flow (an outbox relay, a consumer) that `drain` can ask
/// whether anything is still in flight.
public protocol FlowWorker: AnyObject, Sendable {
    /// Runs until the task is cancelled.
    func run() async
    /// True when this stage has nothing left to move right now.
    func isIdle() async throws -> Bool
}

public typealias EventHandler = @Sendable ([EventEnvelope]) async throws -> Void

/// How committed outbox events travel to their consumers: through the SQL event log (the default)
/// or through Kafka. The services and their stores are the same either way.
public protocol EventTransport: Sendable {
    /// What the console, `events tail`, the HTTP event routes and dead letters read.
    var log: any EventLog { get }
    /// Copies one store's committed outbox events to the transport.
    func relay(from source: any OutboxSource, logger: Logger) -> any FlowWorker
    /// Delivers `topic` to `group`'s handler, at least once, committing after the handler returned.
    func consumer(group: String, topic: Topic, logger: Logger, handler: @escaping EventHandler) -> any FlowWorker
    /// Releases the transport's own connections once the workers stopped.
    func close() async
}

public extension EventTransport {
    func close() async {}
}

/// Events through the SQL event log: relays copy outboxes into it, consumers read it by offset.
public struct SQLEventTransport: EventTransport {
    public let log: any EventLog

    public init(log: any EventLog) { self.log = log }

    public func relay(from source: any OutboxSource, logger: Logger) -> any FlowWorker {
        OutboxRelay(source: source, log: log, logger: logger)
    }

    public func consumer(group: String, topic: Topic, logger: Logger, handler: @escaping EventHandler) -> any FlowWorker {
        ConsumerRunner(group: group, topic: topic, log: log, logger: logger, handler: handler)
    }
}

enum EventTransports {
    /// Kafka when the configuration names brokers, else the SQL event log of `stores`.
    static func make(_ configuration: EmbeddedConfiguration, stores: ServiceStores, logger: Logger) throws -> any EventTransport {
        if let servers = configuration.kafka?.trimmingCharacters(in: .whitespaces), !servers.isEmpty {
            // Connecting checks the brokers and the topics: unreachable brokers fail here, in seconds.
            var config = KafkaConfig(bootstrapServers: servers)
            config.overrides = configuration.kafkaProperties
            config.relayPoll = configuration.kafkaRelayPoll
            config.relayLease = configuration.kafkaRelayLease
            let kafka = try KafkaEvents(config: config, database: stores.events, logger: logger)
            return KafkaEventTransport(kafka: kafka)
        }
        return SQLEventTransport(log: stores.events)
    }
}
