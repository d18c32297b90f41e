import Foundation
import Logging
import OrderPayCore
import OrderPayStore

/// Publishes one store's committed outbox events to Kafka and only then deletes them ("marks them
/// sent"): a crash or a broker outage between commit and delivery leaves the rows in the outbox,
/// and the next attempt publishes them again (at least once; the consumers skip duplicates by
/// event id). Delivered rows are deleted at once, so on start everything left is unsent.
///
/// Every instance of a service runs a relay on the same outbox (one database, several processes),
/// so a relay publishes only while it holds the outbox's lease; the others wait. The holder renews
/// it as it works, also while a send waits on the brokers (up to librdkafka's message timeout,
/// minutes in an outage), so a slow send is not taken for a dead relay. A relay that died stops
/// renewing and another takes over once the lease ran out, re-sending whatever was not deleted.
/// The others nudge the holder after each commit that enqueued events (`OutboxSource.nudgeRelay`),
/// so their events go out at once, not on the holder's next timed look.
public final class KafkaRelay: @unchecked Sendable {
    let source: any OutboxSource
    let producer: @Sendable () throws -> KafkaProducer
    let logger: Logger
    let batchSize = 500
    /// How long a relay that stopped renewing keeps the others out: the bound on a take-over.
    let lease: Duration
    /// Unique per relay, so two relays in one process are two owners.
    let owner = "\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)"
    private let lock = NSLock()
    private var deliveredThrough: Int64 = 0

    /// How long the holder waits for news before it looks at the outbox anyway: the bound on the
    /// delay of an event whose nudge was lost (the listening connection dropped meanwhile).
    let poll: Duration
    /// Whether this relay holds the lease: only then does a nudge wake it (the others would
    /// otherwise pass every nudge on as one of their own).
    private var holding = false

    init(source: any OutboxSource, producer: @escaping @Sendable () throws -> KafkaProducer, logger: Logger,
         lease: Duration, poll: Duration) {
        self.source = source; self.producer = producer; self.logger = logger; self.lease = lease; self.poll = poll
    }

    /// True when the newest outbox event has been delivered (read from the outbox itself, so an
    /// event committed a moment ago keeps the relay busy). A relay without the lease is idle once
    /// the holder emptied the outbox.
    public func isIdle() async throws -> Bool {
        let delivered = lock.withLock { deliveredThrough }
        return try await source.newestEventId() <= delivered
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                await source.watchRelayNudges { [self] in
                    if lock.withLock({ holding }) { source.outboxSignal.notify() }
                }
            }
            await publish()
            group.cancelAll()
        }
        // Hand over at once rather than after the lease runs out; in a task of its own, as this
        // one is cancelled.
        let outbox = source, owner = self.owner
        await Task { try? await outbox.releaseRelayLease(owner: owner) }.value
    }

    private func publish() async {
        var backoff: Duration = .milliseconds(50)
        // When the lease needs renewing again (a third of it used), so a busy relay does not write
        // the lease row for every batch.
        var renewBy: ContinuousClock.Instant?
        // While another relay holds the lease: the outbox signal's generation the holder was last
        // nudged for, so a commit between two turns is not passed over.
        var nudgedFor: UInt64?
        while !Task.isCancelled {
            let seen = source.outboxSignal.current
            do {
                if renewBy.map({ ContinuousClock.now >= $0 }) ?? true {
                    renewBy = try await renew()
                }
                guard let renewBy else {
                    // Just found another relay holding it (at start, or this one's ran out): once
                    // for what this process enqueued before.
                    if nudgedFor == nil { await nudge() }
                    nudgedFor = await nudgeHolder(after: nudgedFor ?? seen, until: ContinuousClock.now + lease / 5)
                    continue
                }
                nudgedFor = nil
                let pending = try await source.pendingEvents(after: 0, limit: batchSize)
                if let last = pending.last {
                    let messages = try pending.map { try EnvelopeCoding.message($0.event) }
                    try await sendRenewing(messages)
                    try await source.removeEvents(upTo: last.id)
                    lock.withLock { deliveredThrough = max(deliveredThrough, last.id) }
                } else {
                    // Never past the renewal: an idle holder keeps its lease rather than handing over.
                    await source.outboxSignal.wait(after: seen, timeout: min(poll, max(.milliseconds(1), renewBy - .now)))
                }
                backoff = .milliseconds(50)
            } catch {
                if Task.isCancelled { break }
                renewBy = nil   // a failure may have outlasted the lease: ask again
                // Nothing was deleted: the same rows go out again after the pause.
                logger.error("Kafka outbox relay failed; retrying", metadata: ["store": "\(source.name)", "error": "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(2))
            }
        }
    }

    /// Takes or renews the lease; when to renew it next, nil when another relay holds it.
    private func renew() async throws -> ContinuousClock.Instant? {
        let asked = ContinuousClock.now
        let held = try await source.holdRelayLease(owner: owner, for: lease)
        lock.withLock { holding = held }
        return held ? asked + lease / 3 : nil
    }

    /// While another relay publishes: passes on each commit of this process that enqueued events
    /// as a nudge, until `deadline` (when the lease is asked for again, well before the holder's
    /// could run out). Commits during a nudge are covered by the next one. Returns the signal's
    /// generation nudged for last.
    private func nudgeHolder(after seen: UInt64, until deadline: ContinuousClock.Instant) async -> UInt64 {
        var seen = seen
        while !Task.isCancelled {
            let left = deadline - .now
            if left <= .zero { break }
            let now = await source.outboxSignal.wait(after: seen, timeout: left)
            guard now != seen else { continue }
            seen = now
            await nudge()
        }
        return seen
    }

    private func nudge() async {
        do { try await source.nudgeRelay() } catch {
            logger.debug("nudging the Kafka relay that holds the lease failed; it finds the events on its next look",
                         metadata: ["store": "\(source.name)", "error": "\(error)"])
        }
    }

    /// Sends, renewing the lease meanwhile for as long as the brokers take.
    private func sendRenewing(_ messages: [OutgoingMessage]) async throws {
        let producer = try producer()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await producer.send(messages) }
            group.addTask { [self] in
                while true {
                    try await Task.sleep(for: lease / 3)
                    _ = try? await renew()
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
