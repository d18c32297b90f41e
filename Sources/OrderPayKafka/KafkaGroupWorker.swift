import Foundation
import Logging
import OrderPayCore
import OrderPayServices

/// Delivers one topic to one consumer group's handler through Kafka, at least once: poll a batch,
/// hand it to the handler, and only after the handler returned commit offset + 1 of each partition,
/// synchronously, before polling again. A rebalance is served only inside poll, i.e. between two
/// batches, when everything handed out has been committed: a revoke loses and doubles nothing.
/// A batch that fails is retried event by event; an event that fails `maxAttempts` times goes to
/// the dead letters (in the database, see KafkaEventLog) and the group moves on.
public final class KafkaGroupWorker: @unchecked Sendable {
    public typealias Handler = @Sendable ([EventEnvelope]) async throws -> Void

    let config: KafkaConfig
    let probe: KafkaOffsetProbe
    let group: String
    let topic: Topic
    let deadLetters: any EventLog
    let logger: Logger
    let handler: Handler
    let maxAttempts: Int
    let batchSize: Int
    private let lock = NSLock()
    private var consumer: KafkaConsumer?
    private var inHand = 0
    private let sideQueue = BlockingQueue(label: "kafka-idle-check")

    init(config: KafkaConfig, probe: KafkaOffsetProbe, group: String, topic: Topic, deadLetters: any EventLog, maxAttempts: Int = 5,
         batchSize: Int = 256, logger: Logger, handler: @escaping Handler) {
        self.config = config; self.probe = probe; self.group = group; self.topic = topic; self.deadLetters = deadLetters
        self.maxAttempts = maxAttempts; self.batchSize = batchSize; self.logger = logger; self.handler = handler
    }

    /// Joins the group only when run: a process that opens the system without workers (a read-only
    /// command) must not take partitions it will never read.
    public func run() async {
        var backoff: Duration = .milliseconds(100)
        var joined: KafkaConsumer?
        while !Task.isCancelled && joined == nil {
            do { joined = try KafkaConsumer(config: config, group: group, topics: [topic.rawValue]) } catch {
                logger.error("cannot join Kafka group; retrying", metadata: ["group": "\(group)", "error": "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(2))
            }
        }
        guard let consumer = joined else { return }
        lock.withLock { self.consumer = consumer }
        while !Task.isCancelled {
            do {
                let messages = try await consumer.poll(max: batchSize, timeout: .milliseconds(100))
                if messages.isEmpty { continue }
                lock.withLock { inHand = messages.count }
                defer { lock.withLock { inHand = 0 } }
                guard await deliver(messages) else { break }   // cancelled mid-batch: leave it uncommitted
                try await consumer.commit(messages)
            } catch {
                logger.error("Kafka consumer failed; retrying", metadata: ["group": "\(group)", "error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        lock.withLock { self.consumer = nil }
        await consumer.close()
    }

    /// Hands the batch to the handler; false when the task was cancelled before it was handled, in
    /// which case the batch must not be committed (another member, or a restart, redelivers it).
    private func deliver(_ messages: [ReceivedMessage]) async -> Bool {
        var events: [EventEnvelope] = []
        for message in messages {
            do { events.append(try EnvelopeCoding.decode(message)) } catch {
                // Not an OrderPay event: nothing can ever handle it, so skip it rather than stall the partition.
                logger.error("skipping undecodable Kafka message", metadata: [
                    "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)", "error": "\(error)"])
            }
        }
        guard !events.isEmpty else { return true }
        do {
            try await handler(events)
            return true
        } catch {
            if Task.isCancelled { return false }
            for event in events {
                guard await deliverWithRetries(event) else { return false }
            }
            return true
        }
    }

    private func deliverWithRetries(_ event: EventEnvelope) async -> Bool {
        await EventDelivery.deliverWithRetries(event, group: group, maxAttempts: maxAttempts, handler: handler,
                                               deadLetters: deadLetters, logger: logger)
    }

    /// Idle: this member has joined its group, holds no batch, and for every partition it is
    /// assigned the group's committed offset reached the partition's high watermark. Read from
    /// the brokers each time, so an event delivered a moment ago is never missed.
    public func isIdle() async throws -> Bool {
        let (consumer, busy) = lock.withLock { (self.consumer, inHand > 0) }
        guard let consumer, consumer.hasJoined, !busy else { return false }
        let probe = self.probe
        return try await sideQueue.run {
            let state = try consumer.whileOpen { () -> (assigned: [PartitionKey], committed: [PartitionKey: Int64]) in
                let assigned = try consumer.assignment()
                return (assigned, assigned.isEmpty ? [:] : try consumer.committed(assigned))
            }
            guard let state else { return false }   // stopped meanwhile
            guard !state.assigned.isEmpty else { return true }
            let highs = try probe.latest(state.assigned)
            return state.assigned.allSatisfy { (state.committed[$0] ?? 0) >= (highs[$0] ?? 0) }
        }
    }
}
