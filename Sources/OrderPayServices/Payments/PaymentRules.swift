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
        let payment = record.payment
        let event = EventDraft(occurredAt: now, traceId: traceId, payload: .paymentProcessed(PaymentProcessed(
            orderId: payment.orderId, paymentId: payment.id, amount: payment.amount, status: outcome,
            failureReason: payment.failureReason, attempt: payment.attempts)))
        return PaymentChange(record: record, history: history, events: [event])
    }
}
