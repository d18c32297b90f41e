import Foundation
import OrderPayCore

extension PaymentService {
    /// Handles a batch of `order-created` events (group `payment-service`): claims a payment per new
    /// order, charges them through the processor, and records each outcome with its
    /// `payment-processed` event.
    ///
    /// A window (`chargeConcurrency`) at a time: an instance claims no more than it can charge at
    /// once, so when the provider is slow, other instances reading the same events claim the rest.
    /// The stages overlap: while one window is with the provider, the next is claimed and the
    /// previous one's outcomes are recorded, so a slow provider does not also wait on the database.
    /// Each batch is walked from a random window on: instances reading the same events then rarely
    /// reach for the same window at once (in step, the slower one would wait on the other's
    /// claim and find it taken, window after window), and one that does moves straight on.
    public func handleOrderCreated(_ events: [EventEnvelope]) async throws {
        try events.throwIfUndecodable()
        let now = clock.now()
        let claims: [PaymentClaim] = events.compactMap { envelope in
            guard case .orderCreated(let order) = envelope.payload else { return nil }
            return PaymentClaim(eventId: envelope.eventId, order: order, at: now)
        }
        guard !claims.isEmpty else { return }
        let traceIds = Dictionary(events.map { ($0.payload.orderId, $0.traceId) }, uniquingKeysWith: { first, _ in first })
        let chunks = stride(from: 0, to: claims.count, by: chargeConcurrency).map {
            Array(claims[$0..<min(claims.count, $0 + chargeConcurrency)])
        }
        let start = Int.random(in: 0..<chunks.count)
        let windows = Array(chunks[start...] + chunks[..<start])
        var (claimed, next) = try await claimFirstFree(windows, from: 0)
        var charged: [(PaymentRecord, ChargeResult)] = []
        while !claimed.isEmpty || !charged.isEmpty {
            let (toCharge, toRecord, from) = (claimed, charged, next)
            async let charging = charge(toCharge)
            async let recording: Void = record(toRecord, actor: "payment-service", traceIds: traceIds)
            async let claimingNext = claimFirstFree(windows, from: from)
            let results = await charging
            try await recording
            (claimed, next) = try await claimingNext
            charged = results
        }
    }

    /// Claims windows from `index` on until one yields something to charge; returns it and the
    /// index after it.
    func claimFirstFree(_ windows: [[PaymentClaim]], from index: Int) async throws -> ([PaymentRecord], Int) {
        var index = index
        while index < windows.count {
            let claimed = try await claim(windows[index])
            index += 1
            if !claimed.isEmpty { return (claimed, index) }
        }
        return ([], index)
    }

    /// Claims the window's new orders, plus the PROCESSING charges of its redelivered events that
    /// this instance claimed earlier and never recorded: the first delivery failed before recording
    /// the charge's outcome (a network database that dropped the connection, say), and the
    /// redelivery is what finishes it. Charging again is safe: the processor's idempotency key
    /// (payment and attempt) gives the same single charge. Another instance's PROCESSING charge is
    /// in flight there and left alone; one whose instance died is taken over once its claim ran
    /// out (`resumeInterruptedCharges`).
    func claim(_ window: [PaymentClaim]) async throws -> [PaymentRecord] {
        // From now, not from the batch's start: a late window of a large batch (a slow provider)
        // would otherwise be claimed already run out, and another instance's sweep would take it.
        let until = clock.now().addingTimeInterval(claimLease.seconds)
        let claimant = self.claimant
        let window = window.map { claim in
            var claim = claim
            claim.claimedUntil = until
            claim.claimant = claimant
            return claim
        }
        let claimed = try await repository.claim(window, group: Self.consumerGroup)
        let claimedOrders = Set(claimed.map(\.payment.orderId))
        let mine = unrecordedOrders.withLock { unrecorded in
            unrecorded.formUnion(claimedOrders)
            return unrecorded
        }
        var unfinished: [PaymentRecord] = []
        for claim in window where !claimedOrders.contains(claim.order.orderId) && mine.contains(claim.order.orderId) {
            if let record = try await repository.record(orderId: claim.order.orderId), record.payment.status == .processing {
                unfinished.append(record)
            }
        }
        return claimed + unfinished
    }

    /// Finishes the charges an instance left PROCESSING when it died or stopped mid-charge: those
    /// whose claim ran out, as the claiming instance renews its claims while they are with the
    /// provider (`renewClaims`), so a live instance's charge is never taken. Run at start-up and
    /// every third of the lease (`ChargeSweeper`), so a surviving instance finishes them, not only
    /// the next one to start. The processor's idempotency key makes the repeated request safe.
    /// At start-up (`ownToo`) also those this instance claimed before it restarted, whose claims
    /// may not have run out yet (a crash: `kill -9`, a lost machine).
    public func resumeInterruptedCharges(ownToo: Bool = false) async throws {
        let now = clock.now(), claimant = self.claimant
        let stuck = try await repository.takeOverClaims(expiredBefore: now, orClaimedBy: ownToo ? claimant : nil, claimant: claimant,
                                                        until: now.addingTimeInterval(claimLease.seconds))
        guard !stuck.isEmpty else { return }
        unrecordedOrders.withLock { $0.formUnion(stuck.map(\.payment.orderId)) }
        logger.info("resuming interrupted charges", metadata: ["count": "\(stuck.count)"])
        try await chargeAndRecord(stuck, actor: "payment-service", traceIds: [:])
    }

    /// Extends the claims of the charges this instance has with the provider right now.
    public func renewClaims() async throws {
        let ids = chargingNow.withLock { Array($0) }
        guard !ids.isEmpty else { return }
        try await repository.renewClaims(paymentIds: ids, until: clock.now().addingTimeInterval(claimLease.seconds), claimant: claimant)
    }

    /// Lets the claims of the charges still in flight run out now (a stopping instance): the next
    /// sweep, here after a restart or in another instance, finishes them without waiting the lease out.
    public func releaseClaims() async throws {
        let ids = chargingNow.withLock { Array($0) }
        guard !ids.isEmpty else { return }
        try await repository.renewClaims(paymentIds: ids, until: clock.now().addingTimeInterval(-1), claimant: claimant)
    }

    func chargeAndRecord(_ records: [PaymentRecord], actor: String, traceIds: [Int64: String?]) async throws {
        try await record(await charge(records), actor: actor, traceIds: traceIds)
    }

    /// Calls the processor for each record, at most `chargeConcurrency` at a time.
    func charge(_ records: [PaymentRecord]) async -> [(PaymentRecord, ChargeResult)] {
        guard !records.isEmpty else { return [] }
        let processor = self.processor, window = chargeConcurrency
        let ids = records.map(\.payment.id)
        chargingNow.withLock { $0.formUnion(ids) }
        // Renewed until the provider answered; recording follows at once, within the lease.
        defer { chargingNow.withLock { $0.subtract(ids) } }
        return await withTaskGroup(of: (PaymentRecord, ChargeResult).self) { group in
            var results: [(PaymentRecord, ChargeResult)] = []
            results.reserveCapacity(records.count)
            for (index, record) in records.enumerated() {
                if index >= window, let done = await group.next() { results.append(done) }
                group.addTask {
                    let payment = record.payment
                    let request = ChargeRequest(idempotencyKey: "payment-\(payment.id)-attempt-\(payment.attempts)",
                                                amount: payment.amount, paymentMethod: payment.paymentMethod,
                                                token: record.paymentToken, attempt: payment.attempts)
                    return (record, await processor.charge(request))
                }
            }
            for await done in group { results.append(done) }
            return results
        }
    }

    /// Records the outcomes, each with its `payment-processed` event, in one transaction.
    func record(_ results: [(PaymentRecord, ChargeResult)], actor: String, traceIds: [Int64: String?]) async throws {
        guard !results.isEmpty else { return }
        let now = clock.now()
        let decisions = results.map { claimed, result in
            let traceId = traceIds[claimed.payment.orderId] ?? nil
            return PaymentDecision(key: .payment(claimed.payment.id), consumedEvent: nil) { current in
                guard let current, current.payment.status == .processing, current.payment.attempts == claimed.payment.attempts else {
                    return nil   // already recorded by another run of this attempt
                }
                return PaymentRules.recordOutcome(current, result, actor: actor, at: now, traceId: traceId)
            }
        }
        let recorded = try await repository.apply(decisions)
        unrecordedOrders.withLock { $0.subtract(results.map(\.0.payment.orderId)) }
        recordedCount.add(recorded.count, ordering: .relaxed)
        for record in recorded {
            logger.info("payment processed", metadata: ["paymentId": "\(record.payment.id)", "orderId": "\(record.payment.orderId)",
                                                        "status": "\(record.payment.status.rawValue)"])
        }
    }
}
