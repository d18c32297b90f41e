import Foundation
import Logging
import OrderPayCore
import OrderPayServices

/// Delivers one topic to one consumer group's handler: in batches, at least once, committing the
/// group's offset only after the handler returned. Commits are batched in time (every
/// `commitInterval`, once caught up for `idleCommitDelay`, and on stop): a crash re-delivers at most that much, which the
/// idempotent handlers skip. A batch that fails is retried event by event;
/// an event that fails `maxAttempts` times goes to the dead letters and the group moves on.
final class ConsumerRunner: FlowWorker, @unchecked Sendable {
    typealias Handler = EventHandler

    let group: String
    let topic: Topic
    let log: any EventLog
    let handler: Handler
    let logger: Logger
    let maxAttempts: Int
    let batchSize: Int
    let commitInterval: Duration = .milliseconds(200)
    /// How long a caught-up consumer waits for more events before committing its offset.
    let idleCommitDelay: Duration = .milliseconds(20)
    private let stateLock = NSLock()
    private var position: Int64 = -1

    init(group: String, topic: Topic, log: any EventLog, maxAttempts: Int = 5, batchSize: Int = 256,
         logger: Logger, handler: @escaping Handler) {
        self.group = group; self.topic = topic; self.log = log; self.handler = handler
        self.logger = logger; self.maxAttempts = maxAttempts; self.batchSize = batchSize
    }

    /// The next offset this runner will read (-1 before it started).
    var nextOffset: Int64 { stateLock.withLock { position } }

    func isIdle() async throws -> Bool {
        nextOffset >= (try await log.endOffset(topic: topic))
    }

    func run() async {
        var offset: Int64
        do { offset = try await log.committedOffset(group: group, topic: topic) } catch {
            logger.error("cannot read committed offset", metadata: ["group": "\(group)", "error": "\(error)"])
            return
        }
        stateLock.withLock { position = offset }
        var committed = offset
        var lastCommit = ContinuousClock.now
        var caughtUpSince: ContinuousClock.Instant?
        while !Task.isCancelled {
            let seen = log.appended(to: topic).current
            do {
                let batch = try await log.read(topic: topic, from: offset, limit: batchSize)
                if let last = batch.last {
                    var handledThrough = last.offset
                    do {
                        try await handler(batch)
                    } catch {
                        for event in batch {
                            // Cancelled mid-retry: stop before this event, so it is delivered again.
                            guard await deliverWithRetries(event) else { handledThrough = event.offset - 1; break }
                        }
                    }
                    offset = handledThrough + 1
                    stateLock.withLock { position = offset }
                }
                let now = ContinuousClock.now
                if batch.isEmpty {
                    if caughtUpSince == nil { caughtUpSince = now }
                } else {
                    caughtUpSince = nil
                }
                // Caught up: commit once no new event came for `idleCommitDelay` (a trickle of
                // events shares one offset commit instead of paying one write per batch).
                let quietLongEnough = caughtUpSince.map { now - $0 >= idleCommitDelay } ?? false
                if offset > committed && (quietLongEnough || now - lastCommit >= commitInterval) {
                    try await log.commit(group: group, topic: topic, offset: offset)
                    committed = offset
                    lastCommit = .now
                }
                if batch.isEmpty {
                    let timeout: Duration = offset > committed ? idleCommitDelay - (now - caughtUpSince!) : .seconds(1)
                    await log.appended(to: topic).wait(after: seen, timeout: timeout)
                }
            } catch {
                if Task.isCancelled { break }   // stopping: a read cut short is not a failure
                logger.error("consumer failed reading the log; retrying", metadata: ["group": "\(group)", "error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        // The last commit runs outside this (cancelled) task: a network store would refuse a
        // query from a cancelled task, and the next start would re-deliver what was handled.
        if offset > committed {
            let log = self.log, group = self.group, topic = self.topic, handled = offset
            await Task.detached { try? await log.commit(group: group, topic: topic, offset: handled) }.value
        }
    }

    private func deliverWithRetries(_ event: EventEnvelope) async -> Bool {
        await EventDelivery.deliverWithRetries(event, group: group, maxAttempts: maxAttempts, handler: handler,
                                               deadLetters: log, logger: logger)
    }
}
