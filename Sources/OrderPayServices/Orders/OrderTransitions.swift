import Foundation
import OrderPayCore

/// Builds the change for a walk through the state machine: one history row and one
/// `order-status-updated` event per step.
enum OrderTransitions {
    static func change(_ order: Order, through steps: [OrderStatus], cause: OrderStatus.Cause = .normal,
                       reason: String?, failureReason: String? = nil, paymentAttempt: Int? = nil,
                       actor: String, at now: Date, traceId: String? = nil) -> OrderChange {
        change(order, steps: steps.map { ($0, reason) }, cause: cause, failureReason: failureReason,
               paymentAttempt: paymentAttempt, actor: actor, at: now, traceId: traceId)
    }

    /// Each step with its own reason (PENDING "attempt 2 started", then FAILED "card declined").
    static func change(_ order: Order, steps: [(OrderStatus, String?)], cause: OrderStatus.Cause = .normal,
                       failureReason: String? = nil, paymentAttempt: Int? = nil,
                       actor: String, at now: Date, traceId: String? = nil) -> OrderChange {
        var updated = order
        var history: [OrderHistoryEntry] = []
        var events: [EventDraft] = []
        for (next, reason) in steps {
            precondition(updated.status.canMove(to: next, cause: cause), "caller checked \(updated.status) → \(next)")
            history.append(OrderHistoryEntry(from: updated.status, to: next, reason: reason, actor: actor, at: now))
            events.append(EventDraft(occurredAt: now, traceId: traceId, payload: .orderStatusUpdated(OrderStatusUpdated(
                orderId: order.id, userId: order.userId, from: updated.status, to: next, reason: reason))))
            updated.status = next
        }
        updated.failureReason = updated.status == .failed ? failureReason : nil
        if let paymentAttempt { updated.paymentAttempt = paymentAttempt }
        updated.updatedAt = now
        return OrderChange(order: updated, history: history, events: events)
    }
}
