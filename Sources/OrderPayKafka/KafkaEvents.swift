import Foundation
import Logging
import OrderPayCore
import OrderPayServices
import OrderPayStore

/// Everything one process shares for Kafka: the configuration, one producer for all relays
/// (librdkafka producers are thread-safe and batch better together) and the readers' event log.
/// Creating it checks the brokers and the topics, so a wrong address fails at start-up in seconds.
public final class KafkaEvents: @unchecked Sendable {
    public let config: KafkaConfig
    public let log: KafkaEventLog
    let producer: SharedProducer
    let probe: KafkaOffsetProbe

    /// - Parameters:
    ///   - database: the SQL event log the stores opened; dead letters stay there.
    ///   - ringCapacity: how many of the latest events the readers' log keeps in memory.
    public init(config: KafkaConfig, database: any EventLog, ringCapacity: Int = 10_000, logger: Logger) throws {
        self.config = config
        KafkaLogging.logger = logger
        let producer = SharedProducer(config: config)
        self.producer = producer
        probe = try KafkaOffsetProbe(config: config)
        do {
            log = try KafkaEventLog(config: config, database: database, producer: { try producer.get() }, probe: probe,
                                   ringCapacity: ringCapacity, logger: logger)
        } catch {
            probe.close()
            throw error
        }
    }

    public func relay(from source: any OutboxSource, logger: Logger) -> KafkaRelay {
        let producer = self.producer
        return KafkaRelay(source: source, producer: { try producer.get() }, logger: logger,
                          lease: config.relayLease, poll: config.relayPoll)
    }

    public func consumer(group: String, topic: Topic, logger: Logger,
                         handler: @escaping KafkaGroupWorker.Handler) -> KafkaGroupWorker {
        KafkaGroupWorker(config: config, probe: probe, group: group, topic: topic, deadLetters: log, logger: logger, handler: handler)
    }

    /// Flushes and destroys the producer and the tail reader. Call after the workers stopped
    /// (each consumer leaves its group and closes itself when its task ends).
    public func close() {
        producer.close()
        log.close()
        probe.close()
    }
}

/// The producer, created on first use (a read-only command never needs one) and closed once.
final class SharedProducer: @unchecked Sendable {
    let config: KafkaConfig
    private let lock = NSLock()
    private var producer: KafkaProducer?
    private var closed = false

    init(config: KafkaConfig) { self.config = config }

    func get() throws -> KafkaProducer {
        try lock.withLock {
            if closed { throw AppError(.unavailable, "the Kafka producer is closed") }
            if let producer { return producer }
            let created = try KafkaProducer(config: config)
            producer = created
            return created
        }
    }

    func close() {
        let open: KafkaProducer? = lock.withLock {
            closed = true
            defer { producer = nil }
            return producer
        }
        open?.close()
    }
}
