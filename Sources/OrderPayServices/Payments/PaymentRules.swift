import Foundation
import OrderPayCore

/// The payment state machine's steps, as pure functions from a record to the change to write.
enum PaymentRules {
    static func step(_ record: inout PaymentRecord, _ history: inout [PaymentHistoryEntry], to next: PaymentStatus,
                     reason: String?, actor: String, at now: Date) {
        history.append(PaymentHistoryEntry(from: record.payment.status, to: next, attempt: record.payment.attempts,
                                           reason: reason, actor: actor, at: now))
        record.payment.status = next
        record.payment.updatedAt = now
    }

    static func recordOutcome(_ current: PaymentRecord, _ result: ChargeResult, actor: String, at now: Date, traceId: String?) -> PaymentChange {
        var record = current
        var history: [PaymentHistoryEntry] = []
        let outcome: PaymentOutcome
        switch result {
        case .approved(let transactionId):
            record.payment.transactionId = transactionId
            record.payment.failureReason = nil
            step(&record, &history, to: .success, reason: "approved (\(transactionId))", actor: actor, at: now)
            outcome = .success
        case .declined(let reason):
            record.payment.failureReason = reason
            step(&record, &history, to: .failed, reason: reason, actor: actor, at: now)
            outcome = .failed
        }
        if outcome == .success && record.orderStatus == .cancelled {
            // The order was cancelled while this charge was in flight: give the money back at once.
            let events = refundAfterCancellation(&record, &history, at: now, traceId: traceId)
            return PaymentChange(record: record, history: history, events: events)
        }
        let payment = record.payment
        let event = EventDraft(occurredAt: now, traceId: traceId, payload: .paymentProcessed(PaymentProcessed(
            orderId: payment.orderId, paymentId: payment.id, amount: payment.amount, status: outcome,
            failureReason: payment.failureReason, attempt: payment.attempts)))
        return PaymentChange(record: record, history: history, events: [event])
    }

    /// A successful charge for an order that is CANCELLED (the cancellation raced the charge) is
    /// refunded automatically: SUCCESS → REFUND_PENDING → REFUNDED, published as REFUNDED.
    static func refundAfterCancellation(_ record: inout PaymentRecord, _ history: inout [PaymentHistoryEntry],
                                        at now: Date, traceId: String?) -> [EventDraft] {
        let reason = "order cancelled while the charge was in flight"
        record.payment.refundReason = reason
        step(&record, &history, to: .refundPending, reason: reason, actor: "payment-service", at: now)
        step(&record, &history, to: .refunded, reason: "automatic refund", actor: "payment-service", at: now)
        let p = record.payment
        return [EventDraft(occurredAt: now, traceId: traceId, payload: .paymentProcessed(PaymentProcessed(
            orderId: p.orderId, paymentId: p.id, amount: p.amount, status: .refunded, failureReason: nil, attempt: p.attempts)))]
    }
}
