import Foundation
import OrderPayCore
import OrderPayEmbedded
import OrderPayServices
import XCTest

/// An order cancelled while its payment is being made must never keep the customer's money.
final class CancellationRaceTests: XCTestCase {
    func envelope(_ payload: EventPayload, offset: Int64 = 0) -> EventEnvelope {
        EventEnvelope(draft: EventDraft(occurredAt: Date(), payload: payload), offset: offset)
    }

    func created(_ order: Order) -> EventEnvelope {
        envelope(.orderCreated(OrderCreated(orderId: order.id, orderNumber: order.orderNumber, userId: order.userId,
                                            totalAmount: order.totalAmount, paymentMethod: order.paymentMethod, paymentToken: "tok_visa")))
    }

    func cancelled(_ order: Order) -> EventEnvelope {
        envelope(.orderStatusUpdated(OrderStatusUpdated(orderId: order.id, userId: order.userId, from: .created, to: .cancelled, reason: "cancelled")))
    }

    func testCancellationSeenBeforeTheOrderIsNeverCharged() async throws {
        let t = try await TestSystem.make(workers: false)
        let order = try await t.system.orders.place(actor: t.customerActor, t.order())
        try await t.system.payments.handleOrderStatusUpdated([cancelled(order)])
        try await t.system.payments.handleOrderCreated([created(order)])
        await assertEqual(try await t.system.payments.list(actor: t.admin).totalElements, 0)
        await t.stop()
    }

    func testChargeThatRacedACancellationIsRefunded() async throws {
        let t = try await TestSystem.make(workers: false)
        let order = try await t.system.orders.place(actor: t.customerActor, t.order())
        try await t.system.payments.handleOrderCreated([created(order)])
        let charged = try await t.system.payments.payment(actor: t.admin, orderId: order.id)
        XCTAssertEqual(charged.status, .success)
        try await t.system.payments.handleOrderStatusUpdated([cancelled(order)])
        let refunded = try await t.system.payments.payment(actor: t.admin, orderId: order.id)
        XCTAssertEqual(refunded.status, .refunded)
        XCTAssertEqual(refunded.refundReason, "order cancelled while the charge was in flight")
        await t.stop()
    }

    func testCancelRightAfterPlacingEndsWithNoMoneyTaken() async throws {
        // The real thing: both events in the log, consumers racing on their own.
        let t = try await TestSystem.make(workers: false)
        var orders: [Order] = []
        for _ in 0..<10 {
            let order = try await t.system.orders.place(actor: t.customerActor, t.order())
            orders.append(try await t.system.orders.cancel(actor: t.customerActor, id: order.id))
        }
        await t.system.stop()
        let restarted = try await EmbeddedSystem.start(t.configuration(), logger: TestSystem.quietLogger())
        await restarted.drain()
        for order in orders {
            await assertEqual(try await restarted.orders.order(actor: t.admin, id: order.id).status, .cancelled)
            if let payment = try? await restarted.payments.payment(actor: t.admin, orderId: order.id) {
                XCTAssertEqual(payment.status, .refunded, "order \(order.id)")
            }
        }
        await restarted.stop()
        try? FileManager.default.removeItem(atPath: t.directory)
    }
}
