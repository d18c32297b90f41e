import Foundation
import OrderPayCore
import OrderPayEmbedded
import OrderPayServices
import XCTest

final class OrderFlowTests: XCTestCase {
    func testPlacedOrderIsPricedByTheServerAndReachesPaid() async throws {
        let t = try await TestSystem.make()
        let placed = try await t.system.orders.place(actor: t.customerActor, t.order())
        XCTAssertEqual(placed.status, .created)
        XCTAssertEqual(placed.totalAmount, Money("60.17"))   // 3 × 19.99 + 2 × 0.10
        XCTAssertEqual(placed.orderItems.map(\.subtotal), [Money("59.97")!, Money("0.20")!])

        let paid = try await t.system.waitForOrder(id: placed.id, actor: t.admin)
        XCTAssertEqual(paid.status, .paid)
        let history = try await t.system.orders.history(actor: t.customerActor, orderId: placed.id)
        XCTAssertEqual(history.map(\.to), [.created, .pending, .paid])
        let payment = try await t.system.payments.payment(actor: t.customerActor, orderId: placed.id)
        XCTAssertEqual(payment.status, .success)
        XCTAssertEqual(payment.amount, Money("60.17"))
        XCTAssertNotNil(payment.transactionId)

        await t.system.drain()
        let topics = try await t.system.events.latest(count: 100, topics: nil).map(\.envelope.topic)
        XCTAssertEqual(topics.filter { $0 == .orderCreated }.count, 1)
        XCTAssertEqual(topics.filter { $0 == .paymentProcessed }.count, 1)
        XCTAssertEqual(topics.filter { $0 == .orderStatusUpdated }.count, 2)
        await t.stop()
    }

    func testDeclinedPaymentRetriedWithAGoodTokenEndsPaid() async throws {
        let t = try await TestSystem.make()
        let failed = try await t.placeAndSettle(token: "tok_chargeDeclined")
        XCTAssertEqual(failed.status, .failed)
        XCTAssertEqual(failed.failureReason, "card declined")
        let payment = try await t.system.payments.payment(actor: t.customerActor, orderId: failed.id)
        XCTAssertEqual(payment.status, .failed)

        let retried = try await t.system.payments.retry(actor: t.customerActor, id: payment.id, paymentToken: "tok_visa")
        XCTAssertEqual(retried.status, .success)
        XCTAssertEqual(retried.attempts, 2)
        let paid = try await t.system.waitForOrder(id: failed.id, actor: t.admin) { $0.status == .paid }
        XCTAssertNil(paid.failureReason)
        let history = try await t.system.orders.history(actor: t.admin, orderId: failed.id).map(\.to)
        XCTAssertEqual(history, [.created, .pending, .failed, .pending, .paid])
        let paymentHistory = try await t.system.payments.history(actor: t.admin, paymentId: payment.id)
        XCTAssertEqual(paymentHistory.map(\.to), [.pending, .processing, .failed, .processing, .success])
        XCTAssertEqual(paymentHistory.last?.attempt, 2)
        await t.stop()
    }

    func testProcessingErrorSucceedsOnRetryWithTheSameToken() async throws {
        let t = try await TestSystem.make()
        let failed = try await t.placeAndSettle(token: "tok_processingError")
        XCTAssertEqual(failed.failureReason, "processing error")
        let payment = try await t.system.payments.payment(actor: t.admin, orderId: failed.id)
        let retried = try await t.system.payments.retry(actor: t.admin, id: payment.id)
        XCTAssertEqual(retried.status, .success)
        let paid = try await t.system.waitForOrder(id: failed.id, actor: t.admin) { $0.status == .paid }
        XCTAssertEqual(paid.paymentAttempt, 2)
        await t.stop()
    }

    func testInsufficientFundsFailsAgainOnRetryWithTheSameToken() async throws {
        let t = try await TestSystem.make()
        let failed = try await t.placeAndSettle(token: "tok_insufficientFunds")
        XCTAssertEqual(failed.failureReason, "insufficient funds")
        let payment = try await t.system.payments.payment(actor: t.admin, orderId: failed.id)
        let retried = try await t.system.payments.retry(actor: t.admin, id: payment.id)
        XCTAssertEqual(retried.status, .failed)
        let order = try await t.system.waitForOrder(id: failed.id, actor: t.admin) { $0.paymentAttempt == 2 }
        XCTAssertEqual(order.status, .failed)
        await t.stop()
    }

    func testRedeliveredOrderCreatedDoesNotChargeTwice() async throws {
        let t = try await TestSystem.make()
        let paid = try await t.placeAndSettle()
        await t.system.drain()
        let created = try await t.system.events.read(topic: .orderCreated, from: 0, limit: 10)
        XCTAssertEqual(created.count, 1)
        // The same event again (a redelivery) and a copy with a new id (a duplicate publish).
        try await t.system.payments.handleOrderCreated(created)
        var copy = EventDraft(occurredAt: Date(), payload: created[0].payload)
        copy.eventId = UUID().uuidString
        try await t.system.payments.handleOrderCreated([EventEnvelope(draft: copy, offset: 99)])
        let payments = try await t.system.payments.list(actor: t.admin)
        XCTAssertEqual(payments.totalElements, 1)
        XCTAssertEqual(payments.content.first?.attempts, 1)
        await assertEqual(try await t.system.orders.order(actor: t.admin, id: paid.id).status, .paid)
        await t.stop()
    }

    func testDuplicateAndStalePaymentOutcomesAreIgnored() async throws {
        let t = try await TestSystem.make()
        let failed = try await t.placeAndSettle(token: "tok_chargeDeclined")
        let payment = try await t.system.payments.payment(actor: t.admin, orderId: failed.id)
        _ = try await t.system.payments.retry(actor: t.admin, id: payment.id, paymentToken: "tok_visa")
        _ = try await t.system.waitForOrder(id: failed.id, actor: t.admin) { $0.status == .paid }
        await t.system.drain()
        let outcomes = try await t.system.events.read(topic: .paymentProcessed, from: 0, limit: 10)
        XCTAssertEqual(outcomes.count, 2)
        // Redeliver both: the first (FAILED, attempt 1) is stale, the second a duplicate.
        let staleCopy = EventDraft(occurredAt: Date(), payload: outcomes[0].payload)
        try await t.system.orders.handlePaymentProcessed(outcomes + [EventEnvelope(draft: staleCopy, offset: 50)])
        let order = try await t.system.orders.order(actor: t.admin, id: failed.id)
        XCTAssertEqual(order.status, .paid)
        await assertEqual(try await t.system.orders.history(actor: t.admin, orderId: failed.id).count, 5)
        await t.stop()
    }

    func testAStoppedSystemFinishesTheFlowWhenRestartedOnTheSameDataDir() async throws {
        // No workers: the order and its outbox event are committed, nothing else happens.
        let t = try await TestSystem.make(workers: false)
        let placed = try await t.system.orders.place(actor: t.customerActor, t.order())
        await assertEqual(try await t.system.orders.order(actor: t.admin, id: placed.id).status, .created)
        await t.system.stop()

        let restarted = try await EmbeddedSystem.start(t.configuration(), logger: TestSystem.quietLogger())
        let paid = try await restarted.waitForOrder(id: placed.id, actor: t.admin)
        XCTAssertEqual(paid.status, .paid)
        await restarted.stop()
        try? FileManager.default.removeItem(atPath: t.directory)
    }

    func testIdempotencyKeyReturnsTheSameOrder() async throws {
        let t = try await TestSystem.make()
        let first = try await t.system.orders.place(actor: t.customerActor, t.order(), idempotencyKey: "checkout-1")
        let again = try await t.system.orders.place(actor: t.customerActor, t.order(), idempotencyKey: "checkout-1")
        XCTAssertEqual(first.id, again.id)
        // The same lines split differently is the same order; another product or address is not.
        let split = t.order(items: [.init(productId: t.keyboard.id, quantity: 1), .init(productId: t.mouse.id, quantity: 2),
                                    .init(productId: t.keyboard.id, quantity: 2)])
        await assertEqual(try await t.system.orders.place(actor: t.customerActor, split, idempotencyKey: "checkout-1").id, first.id)
        await XCTAssertThrowsAppError(.validation, try await t.system.orders.place(
            actor: t.customerActor, t.order(items: [.init(productId: t.keyboard.id, quantity: 4)]), idempotencyKey: "checkout-1"),
            containing: "already used for a different order")
        var elsewhere = t.order()
        elsewhere.shippingAddress = "2 Other Street"
        await XCTAssertThrowsAppError(.validation, try await t.system.orders.place(actor: t.customerActor, elsewhere, idempotencyKey: "checkout-1"),
                                      containing: "Idempotency-Key")
        let otherUser = try await t.system.orders.place(actor: t.otherActor, t.order(), idempotencyKey: "checkout-1")
        XCTAssertNotEqual(otherUser.id, first.id)
        await t.system.drain()
        await assertEqual(try await t.system.payments.list(actor: t.admin).totalElements, 2)
        await t.stop()
    }

    /// A double submit: concurrent placements with one key share a commit (a batch), and every one
    /// of them gets the one order, items and all, not a "different order" refusal.
    func testConcurrentPlacementsWithOneKeyAllGetTheOneOrder() async throws {
        let t = try await TestSystem.make()
        let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<20 {
                group.addTask { try await t.system.orders.place(actor: t.customerActor, t.order(), idempotencyKey: "double-submit").id }
            }
            return try await group.reduce(into: Set<Int64>()) { $0.insert($1) }
        }
        XCTAssertEqual(ids.count, 1)
        await t.stop()
    }

    func testRefundCancelsThePaidOrder() async throws {
        let t = try await TestSystem.make()
        let paid = try await t.placeAndSettle()
        let payment = try await t.system.payments.payment(actor: t.customerActor, orderId: paid.id)
        await t.system.drain()   // the payment service learns the order is PAID
        let pending = try await t.system.payments.initiateRefund(actor: t.customerActor, id: payment.id, reason: "changed my mind")
        XCTAssertEqual(pending.status, .refundPending)
        await XCTAssertThrowsAppError(.forbidden, try await t.system.payments.processRefund(actor: t.customerActor, id: payment.id))
        let refunded = try await t.system.payments.processRefund(actor: t.admin, id: payment.id)
        XCTAssertEqual(refunded.status, .refunded)
        let cancelled = try await t.system.waitForOrder(id: paid.id, actor: t.admin) { $0.status == .cancelled }
        await assertEqual(try await t.system.orders.history(actor: t.admin, orderId: cancelled.id).last?.reason, "payment refunded")
        await t.stop()
    }

    func testACompletedOrderIsNotRefunded() async throws {
        let t = try await TestSystem.make()
        let paid = try await t.placeAndSettle()
        _ = try await t.system.orders.complete(actor: t.admin, id: paid.id)
        await t.system.drain()   // the payment service learns the order is COMPLETED
        let payment = try await t.system.payments.payment(actor: t.customerActor, orderId: paid.id)
        await XCTAssertThrowsAppError(.conflict, try await t.system.payments.initiateRefund(actor: t.customerActor, id: payment.id, reason: "too late"),
                                      containing: "COMPLETED")
        await t.stop()
    }

    func testCompletingAnOrderWithdrawsItsPendingRefund() async throws {
        let t = try await TestSystem.make()
        let paid = try await t.placeAndSettle()
        let payment = try await t.system.payments.payment(actor: t.customerActor, orderId: paid.id)
        await t.system.drain()
        _ = try await t.system.payments.initiateRefund(actor: t.customerActor, id: payment.id, reason: "changed my mind")
        _ = try await t.system.orders.complete(actor: t.admin, id: paid.id)
        await t.system.drain()   // the payment service learns the order is COMPLETED
        await XCTAssertThrowsAppError(.conflict, try await t.system.payments.processRefund(actor: t.admin, id: payment.id),
                                      containing: "is SUCCESS")
        let kept = try await t.system.payments.payment(actor: t.admin, id: payment.id)
        XCTAssertEqual(kept.status, .success)
        XCTAssertNil(kept.refundReason)
        await assertEqual(try await t.system.payments.history(actor: t.admin, paymentId: payment.id).last?.reason, "refund withdrawn: order completed")
        await assertEqual(try await t.system.orders.order(actor: t.admin, id: paid.id).status, .completed)
        await t.stop()
    }

    /// The other way round: the refund was processed before the payment service learnt of the
    /// completion, so its REFUNDED outcome reaches a COMPLETED order. The money went back: the
    /// order is cancelled, as for a PAID one, and the payment service hears of it.
    func testARefundProcessedBeforeTheCompletionWasKnownCancelsTheCompletedOrder() async throws {
        let t = try await TestSystem.make()
        let paid = try await t.placeAndSettle()
        let payment = try await t.system.payments.payment(actor: t.customerActor, orderId: paid.id)
        await t.system.drain()
        _ = try await t.system.orders.complete(actor: t.admin, id: paid.id)
        await t.system.drain()
        // The outcome as the payment service publishes it when an admin processes the refund.
        let refunded = EventEnvelope(draft: EventDraft(occurredAt: Date(), traceId: nil, payload: .paymentProcessed(PaymentProcessed(
            orderId: paid.id, paymentId: payment.id, amount: payment.amount, status: .refunded, failureReason: nil, attempt: payment.attempts))),
            offset: 0)
        try await t.system.orders.handlePaymentProcessed([refunded])
        let cancelled = try await t.system.orders.order(actor: t.admin, id: paid.id)
        XCTAssertEqual(cancelled.status, .cancelled)
        let history = try await t.system.orders.history(actor: t.admin, orderId: paid.id)
        XCTAssertEqual(history.suffix(2).map(\.to), [.completed, .cancelled])
        XCTAssertEqual(history.last?.reason, "payment refunded")
        // Delivered again, it changes nothing.
        try await t.system.orders.handlePaymentProcessed([refunded])
        await assertEqual(try await t.system.orders.history(actor: t.admin, orderId: paid.id).count, history.count)
        await t.stop()
    }

    /// An operator who cancels a failed payment gives up collecting it: the order is cancelled too,
    /// rather than left FAILED with a payment that can no longer be retried.
    func testCancellingAFailedPaymentCancelsItsOrder() async throws {
        let t = try await TestSystem.make()
        let failed = try await t.placeAndSettle(token: "tok_chargeDeclined")
        XCTAssertEqual(failed.status, .failed)
        let payment = try await t.system.payments.payment(actor: t.admin, orderId: failed.id)
        _ = try await t.system.payments.cancel(actor: t.admin, id: payment.id)
        let cancelled = try await t.system.waitForOrder(id: failed.id, actor: t.admin, until: { $0.status == .cancelled })
        XCTAssertEqual(cancelled.status, .cancelled)
        await assertEqual(try await t.system.orders.history(actor: t.admin, orderId: failed.id).last?.reason,
                          "payment cancelled by \(t.admin.email)")
        await t.system.drain()
        await assertEqual(try await t.system.payments.payment(actor: t.admin, id: payment.id).status, .cancelled)
        await XCTAssertThrowsAppError(.conflict, try await t.system.payments.retry(actor: t.admin, id: payment.id, paymentToken: "tok_visa"))
        await t.stop()
    }

    func testOperatorActions() async throws {
        let t = try await TestSystem.make()
        let paid = try await t.placeAndSettle()
        await XCTAssertThrowsAppError(.conflict, try await t.system.orders.cancel(actor: t.customerActor, id: paid.id), containing: "refund")
        await XCTAssertThrowsAppError(.forbidden, try await t.system.orders.complete(actor: t.customerActor, id: paid.id))
        await assertEqual(try await t.system.orders.complete(actor: t.admin, id: paid.id).status, .completed)
        await XCTAssertThrowsAppError(.conflict, try await t.system.orders.complete(actor: t.admin, id: paid.id), containing: "COMPLETED")

        let failed = try await t.placeAndSettle(token: "tok_chargeDeclined")
        await assertEqual(try await t.system.orders.cancel(actor: t.customerActor, id: failed.id).status, .cancelled)
        let payment = try await t.system.payments.payment(actor: t.admin, orderId: failed.id)
        await t.system.drain()
        await assertEqual(try await t.system.payments.payment(actor: t.admin, id: payment.id).status, .cancelled)
        await XCTAssertThrowsAppError(.conflict, try await t.system.payments.retry(actor: t.admin, id: payment.id))
        await t.stop()
    }
}
