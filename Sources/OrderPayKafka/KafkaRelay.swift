import Foundation
import Logging
import OrderPayCore
import OrderPayStore

/// Publishes one store's committed outbox events to Kafka and only then deletes them ("marks them
/// sent"): a crash or a broker outage between commit and delivery leaves the rows in the outbox,
/// and the next attempt publishes them again (at least once; the consumers skip duplicates by
/// event id). Delivered rows are deleted at once, so on start everything left is unsent.
public final class KafkaRelay: @unchecked Sendable {
    let source: any OutboxSource
    let producer: @Sendable () throws -> KafkaProducer
    let logger: Logger
    let batchSize = 500
    private let lock = NSLock()
    private var deliveredThrough: Int64 = 0

    init(source: any OutboxSource, producer: @escaping @Sendable () throws -> KafkaProducer, logger: Logger) {
        self.source = source; self.producer = producer; self.logger = logger
    }

    /// True when the newest outbox event has been delivered (read from the outbox itself, so an
    /// event committed a moment ago keeps the relay busy).
    public func isIdle() async throws -> Bool {
        let delivered = lock.withLock { deliveredThrough }
        return try await source.newestEventId() <= delivered
    }

    public func run() async {
        var backoff: Duration = .milliseconds(50)
        while !Task.isCancelled {
            let seen = source.outboxSignal.current
            do {
                let pending = try await source.pendingEvents(after: 0, limit: batchSize)
                if let last = pending.last {
                    let messages = try pending.map { try EnvelopeCoding.message($0.event) }
                    try await producer().send(messages)
                    try await source.removeEvents(upTo: last.id)
                    lock.withLock { deliveredThrough = max(deliveredThrough, last.id) }
                } else {
                    await source.outboxSignal.wait(after: seen, timeout: .seconds(1))
                }
                backoff = .milliseconds(50)
            } catch {
                if Task.isCancelled { break }
                // Nothing was deleted: the same rows go out again after the pause.
                logger.error("Kafka outbox relay failed; retrying", metadata: ["store": "\(source.name)", "error": "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(2))
            }
        }
    }
}
