import Foundation
import Logging
import OrderPayCore

extension OrderService {
    /// Handles a batch of `payment-processed` events (group `order-service`) in one transaction.
    ///
    /// SUCCESS → PAID, FAILED → FAILED (with the reason), REFUNDED → CANCELLED, CANCELLED (an
    /// operator gave up on the payment) → CANCELLED. The order passes
    /// through PENDING on the way (CREATED → PENDING → PAID; a retry FAILED → PENDING → …), each
    /// step in its history. Duplicates and stale attempts are ignored by the order's own state (the
    /// attempt it last recorded, its status), so no inbox row is written per event.
    public func handlePaymentProcessed(_ events: [EventEnvelope]) async throws {
        try events.throwIfUndecodable()
        let now = clock.now()
        let logger = self.logger
        let decisions: [OrderDecision] = events.compactMap { envelope in
            guard case .paymentProcessed(let outcome) = envelope.payload else { return nil }
            let traceId = envelope.traceId
            return OrderDecision(orderId: outcome.orderId, consumedEvent: nil) { order in
                guard let order else {
                    logger.warning("payment outcome for unknown order", metadata: ["orderId": "\(outcome.orderId)"])
                    return nil
                }
                return Self.decide(order, outcome, at: now, traceId: traceId, logger: logger)
            }
        }
        guard !decisions.isEmpty else { return }
        statusFeed.publish(try await repository.apply(decisions, returningItems: false))
    }

    static func decide(_ order: Order, _ outcome: PaymentProcessed, at now: Date, traceId: String?, logger: Logger) -> OrderChange? {
        let actor = "payment-service"
        switch outcome.status {
        case .refunded:
            if order.status == .cancelled { return nil }   // a redelivered refund
            guard order.status.canMove(to: .cancelled, cause: .refund) else {
                logger.warning("refund for an order neither PAID nor COMPLETED ignored", metadata: ["orderId": "\(order.id)", "status": "\(order.status.rawValue)"])
                return nil
            }
            return OrderTransitions.change(order, through: [.cancelled], cause: .refund, reason: "payment refunded",
                                           actor: actor, at: now, traceId: traceId)
        case .cancelled:
            if order.status == .cancelled { return nil }   // cancelled already, or a redelivery
            guard order.status.canMove(to: .cancelled) else {
                logger.warning("payment cancellation for an order past payment ignored", metadata: ["orderId": "\(order.id)", "status": "\(order.status.rawValue)"])
                return nil
            }
            return OrderTransitions.change(order, through: [.cancelled], reason: outcome.failureReason ?? "payment cancelled",
                                           actor: actor, at: now, traceId: traceId)
        case .success, .failed:
            guard outcome.attempt > order.paymentAttempt else { return nil }   // stale or duplicate attempt
            let target: OrderStatus = outcome.status == .success ? .paid : .failed
            let result = outcome.status == .success ? "payment \(outcome.paymentId) attempt \(outcome.attempt) succeeded"
                                                    : "payment failed: \(outcome.failureReason ?? "unknown reason")"
            var steps: [(OrderStatus, String?)] = [(target, result)]
            switch order.status {
            case .created, .failed: steps.insert((.pending, "payment \(outcome.paymentId) attempt \(outcome.attempt) processing"), at: 0)
            case .pending: break
            default:
                logger.warning("payment outcome ignored", metadata: ["orderId": "\(order.id)", "status": "\(order.status.rawValue)"])
                return nil
            }
            return OrderTransitions.change(order, steps: steps, failureReason: outcome.failureReason,
                                           paymentAttempt: outcome.attempt, actor: actor, at: now, traceId: traceId)
        }
    }
}
