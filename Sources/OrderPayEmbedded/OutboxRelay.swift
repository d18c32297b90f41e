import Foundation
import Logging
import OrderPayCore
import OrderPayServices
import OrderPayStore

/// Copies committed outbox events to the event log. The log records, in the same transaction,
/// how far each outbox has been copied; a crash before that commit re-sends the batch on restart
/// and the log skips ids it already holds. Copied rows are deleted now and then, off the hot path.
final class OutboxRelay: FlowWorker, @unchecked Sendable {
    let source: any OutboxSource
    let log: any EventLog
    let logger: Logger
    let batchSize = 500
    /// Small deletes often: two seconds' worth in one transaction held the store's writer for tens
    /// of milliseconds, and the orders queued behind it were `bench flow`'s p99.
    let cleanupInterval: Duration = .milliseconds(100)
    private let cursorLock = NSLock()
    private var copiedThrough: Int64 = -1

    init(source: any OutboxSource, log: any EventLog, logger: Logger) {
        self.source = source
        self.log = log
        self.logger = logger
    }

    /// True when everything in the outbox has been copied to the log (read from the outbox
    /// itself, not from a flag that a just-committed event could make stale).
    func isIdle() async throws -> Bool {
        let copied = cursorLock.withLock { copiedThrough }
        return try await source.newestEventId() <= copied
    }

    func run() async {
        var cursor: Int64?
        var cleanedUpTo: Int64 = 0
        var lastCleanup = ContinuousClock.now
        var backoff: Duration = .milliseconds(10)
        while !Task.isCancelled {
            let seen = source.outboxSignal.current
            do {
                let from: Int64
                if let cursor { from = cursor } else { from = try await log.relayCursor(source: source.name) }
                cursor = from
                let pending = try await source.pendingEvents(after: from, limit: batchSize)
                if let last = pending.last {
                    try await log.relay(pending.map(\.event), from: source.name, through: last.id)
                    cursor = last.id
                    cursorLock.withLock { copiedThrough = last.id }
                } else {
                    cursorLock.withLock { copiedThrough = max(copiedThrough, from) }
                    if from > cleanedUpTo && ContinuousClock.now - lastCleanup > cleanupInterval {
                        try await source.removeEvents(upTo: from)
                        cleanedUpTo = from
                        lastCleanup = .now
                    }
                    await source.outboxSignal.wait(after: seen, timeout: .seconds(1))
                }
                backoff = .milliseconds(10)
            } catch {
                cursor = nil   // re-read from the log: it is the truth about what was copied
                logger.error("outbox relay failed; retrying", metadata: ["store": "\(source.name)", "error": "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(2))
            }
        }
    }
}
