import Foundation
import Logging
import OrderPayCore
import OrderPayServices
import OrderPayStore

/// Copies committed outbox events to the event log, then removes them from the outbox.
/// A crash between the two re-sends them on restart; the log skips ids it already holds.
final class OutboxRelay: @unchecked Sendable {
    let source: any OutboxSource
    let log: any EventLog
    let logger: Logger
    let batchSize = 500
    private let idleLock = NSLock()
    private var idle = false

    init(source: any OutboxSource, log: any EventLog, logger: Logger) {
        self.source = source
        self.log = log
        self.logger = logger
    }

    var isIdle: Bool { idleLock.withLock { idle } }

    func run() async {
        var backoff: Duration = .milliseconds(10)
        while !Task.isCancelled {
            let seen = source.outboxSignal.current
            do {
                let pending = try await source.pendingEvents(limit: batchSize)
                if pending.isEmpty {
                    idleLock.withLock { idle = true }
                    await source.outboxSignal.wait(after: seen, timeout: .seconds(1))
                    continue
                }
                idleLock.withLock { idle = false }
                try await log.append(pending.map(\.draft))
                try await source.removeEvents(upTo: pending[pending.count - 1].id)
                backoff = .milliseconds(10)
            } catch {
                logger.error("outbox relay failed; retrying", metadata: ["store": "\(source.name)", "error": "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(2))
            }
        }
    }
}
