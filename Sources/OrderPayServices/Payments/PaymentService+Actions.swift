import Foundation
import OrderPayCore

extension PaymentService {
    /// Retries a FAILED payment (admin or the owner), optionally with a new token: a new attempt,
    /// charged now; returns the payment with its outcome. A charge like a new order's, so the
    /// payment's account must be ACTIVE (409 otherwise), as for placing an order.
    /// - Parameter callerToken: the caller's bearer token, for checking the account with the auth
    ///   service (distributed mode).
    public func retry(actor: Actor, id: Int64, paymentToken: String? = nil, traceId: String? = nil,
                      callerToken: String? = nil) async throws -> Payment {
        if let token = paymentToken, !SimulatedPaymentProcessor.isWellFormed(token) {
            throw AppError.validation("paymentToken must look like \(PaymentToken.shape)", field: "paymentToken")
        }
        let before = try await accessibleRecord(actor: actor, id: id)
        try await accounts.requireActive(user: before.payment.userId, actor: actor, callerToken: callerToken, to: "have payments charged")
        let now = clock.now()
        let decision = PaymentDecision(key: .payment(id), consumedEvent: nil) { current in
            guard var record = current else { throw AppError.notFound("payment \(id) not found") }
            guard record.payment.status == .failed else {
                throw AppError.conflict("payment \(id) is \(record.payment.status.rawValue); only a FAILED payment can be retried")
            }
            guard record.orderStatus != .cancelled else { throw AppError.conflict("order \(record.payment.orderId) is CANCELLED") }
            var history: [PaymentHistoryEntry] = []
            record.payment.attempts += 1
            if let paymentToken { record.paymentToken = paymentToken }
            let via = paymentToken.map { " with a new token \($0)" } ?? ""
            PaymentRules.step(&record, &history, to: .processing, reason: "retry by \(actor.email)\(via)", actor: actor.email, at: now)
            return PaymentChange(record: record, history: history, events: [])
        }
        guard let claimed = try await repository.apply([decision]).first else { throw AppError.notFound("payment \(id) not found") }
        // The new attempt is this instance's: claimed before a sweep could take it for an old claim's.
        try await repository.renewClaims(paymentIds: [claimed.payment.id], until: clock.now().addingTimeInterval(claimLease.seconds),
                                         claimant: claimant)
        try await chargeAndRecord([claimed], actor: actor.email, traceIds: [claimed.payment.orderId: traceId])
        return try await accessibleRecord(actor: actor, id: id).payment
    }

    public func cancel(actor: Actor, id: Int64) async throws -> Payment {
        try await change(actor: actor, id: id) { record, history, now in
            guard [.pending, .failed].contains(record.payment.status) else {
                throw AppError.conflict("payment \(id) is \(record.payment.status.rawValue); only PENDING or FAILED payments can be cancelled")
            }
            PaymentRules.step(&record, &history, to: .cancelled, reason: "cancelled by \(actor.email)", actor: actor.email, at: now)
            // Nothing will be collected for the order any more: the order service cancels it.
            let p = record.payment
            return [EventDraft(occurredAt: now, traceId: nil, payload: .paymentProcessed(PaymentProcessed(
                orderId: p.orderId, paymentId: p.id, amount: p.amount, status: .cancelled,
                failureReason: "payment cancelled by \(actor.email)", attempt: p.attempts)))]
        }
    }

    /// Asks for a refund of a successful payment of a PAID order; an admin then processes it.
    public func initiateRefund(actor: Actor, id: Int64, reason: String) async throws -> Payment {
        let trimmed = try Validator.reason(reason)
        return try await change(actor: actor, id: id) { record, history, now in
            guard record.payment.status.isRefundable else {
                throw AppError.conflict("payment \(id) is \(record.payment.status.rawValue); only a SUCCESS payment can be refunded")
            }
            // A SUCCESS payment's order is PAID, or is about to be (the order service applies the
            // outcome), unless it has since moved on, which this service follows.
            guard record.orderStatus != .completed && record.orderStatus != .cancelled else {
                throw AppError.conflict("order \(record.payment.orderId) is \(record.orderStatus.rawValue); only a PAID order can be refunded")
            }
            record.payment.refundReason = trimmed
            PaymentRules.step(&record, &history, to: .refundPending, reason: trimmed, actor: actor.email, at: now)
            return []
        }
    }

    /// Completes a pending refund (admin): the payment becomes REFUNDED and the order CANCELLED.
    public func processRefund(actor: Actor, id: Int64, traceId: String? = nil) async throws -> Payment {
        guard actor.isAdmin else { throw AppError.forbidden("only an admin can process a refund") }
        return try await change(actor: actor, id: id) { record, history, now in
            guard record.payment.status == .refundPending else {
                throw AppError.conflict("payment \(id) is \(record.payment.status.rawValue); only a REFUND_PENDING payment can be refunded")
            }
            PaymentRules.step(&record, &history, to: .refunded, reason: record.payment.refundReason, actor: actor.email, at: now)
            let p = record.payment
            return [EventDraft(occurredAt: now, traceId: traceId, payload: .paymentProcessed(PaymentProcessed(
                orderId: p.orderId, paymentId: p.id, amount: p.amount, status: .refunded, failureReason: nil, attempt: p.attempts)))]
        }
    }

    private func change(actor: Actor, id: Int64,
                        _ body: @escaping @Sendable (inout PaymentRecord, inout [PaymentHistoryEntry], Date) throws -> [EventDraft]) async throws -> Payment {
        _ = try await accessibleRecord(actor: actor, id: id)
        let now = clock.now()
        let decision = PaymentDecision(key: .payment(id), consumedEvent: nil) { current in
            guard var record = current else { throw AppError.notFound("payment \(id) not found") }
            var history: [PaymentHistoryEntry] = []
            let events = try body(&record, &history, now)
            return PaymentChange(record: record, history: history, events: events)
        }
        guard let changed = try await repository.apply([decision]).first else { throw AppError.notFound("payment \(id) not found") }
        return changed.payment
    }

    /// Follows the orders' status (group `payment-service`): a COMPLETED order is no longer
    /// refundable (a refund still pending is withdrawn), and a cancelled order's payment is settled
    /// with it: an open one is cancelled, one that was charged while the order was being cancelled
    /// is refunded, and an order cancelled before its payment was even claimed is remembered so it
    /// is never charged. Other steps
    /// (PENDING, FAILED, and PAID, which a SUCCESS payment already implies) change nothing here
    /// and are skipped without a write: every order would otherwise cost this service a second
    /// transaction.
    public func handleOrderStatusUpdated(_ events: [EventEnvelope]) async throws {
        try events.throwIfUndecodable()
        let now = clock.now()
        let relevant: Set<OrderStatus> = [.completed, .cancelled]
        let updates: [(EventEnvelope, OrderStatusUpdated)] = events.compactMap { envelope in
            guard case .orderStatusUpdated(let update) = envelope.payload, relevant.contains(update.to) else { return nil }
            return (envelope, update)
        }
        guard !updates.isEmpty else { return }
        let cancelled = updates.filter { $0.1.to == .cancelled }.map(\.1.orderId)
        if !cancelled.isEmpty { try await repository.rememberCancelledOrders(cancelled) }
        let decisions = updates.map { envelope, update in
            PaymentDecision(key: .order(update.orderId), consumedEvent: (envelope.eventId, Self.consumerGroup)) { current in
                guard var record = current else { return nil }
                var history: [PaymentHistoryEntry] = []
                var events: [EventDraft] = []
                record.orderStatus = update.to
                if update.to == .completed && record.payment.status == .refundPending {
                    record.payment.refundReason = nil
                    PaymentRules.step(&record, &history, to: .success, reason: "refund withdrawn: order completed",
                                      actor: "payment-service", at: now)
                }
                if update.to == .cancelled {
                    switch record.payment.status {
                    case .pending, .failed:
                        PaymentRules.step(&record, &history, to: .cancelled, reason: "order cancelled", actor: "order-service", at: now)
                    case .success:
                        events = PaymentRules.refundAfterCancellation(&record, &history, at: now, traceId: envelope.traceId)
                    default:
                        break   // PROCESSING settles when the charge returns; refunds are already on their way
                    }
                }
                return PaymentChange(record: record, history: history, events: events)
            }
        }
        _ = try await repository.apply(decisions)
    }
}
