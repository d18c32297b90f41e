import Foundation
import OrderPayCore
import OrderPayEmbedded
import OrderPayServices
import XCTest

/// A write that charges an account (a new order, a payment retry) needs that account ACTIVE now,
/// whoever asks: a user's access token lives 5 minutes and outlives a lock or a delete.
final class AccountStatusChargeTests: XCTestCase {
    func testALockedOrDeletedUserCannotPlaceTheirOwnOrdersWithAnEarlierToken() async throws {
        let t = try await TestSystem.make()
        let orders = t.system.orders, auth = t.system.auth
        // What the customer's token vouches for; it stays valid after the changes below.
        let customer = t.customerActor
        _ = try await orders.place(actor: customer, t.order())
        let keyed = try await orders.placeWithOutcome(actor: customer, t.order(), idempotencyKey: "before-the-lock")
        XCTAssertTrue(keyed.created)

        try await auth.setStatus(actor: t.admin, id: t.customer.id, status: .locked)
        await XCTAssertThrowsAppError(.conflict, try await orders.place(actor: customer, t.order()),
                                      containing: "user \(t.customer.id) is LOCKED; only an ACTIVE user can place orders")
        // The same answer an admin gets ordering for them.
        await XCTAssertThrowsAppError(.conflict, try await orders.place(actor: t.admin, forUser: t.customer.id, t.order()),
                                      containing: "user \(t.customer.id) is LOCKED; only an ACTIVE user can place orders")
        // A retry of an order placed before the lock gets that order: nothing new is charged.
        let again = try await orders.placeWithOutcome(actor: customer, t.order(), idempotencyKey: "before-the-lock")
        XCTAssertFalse(again.created)
        XCTAssertEqual(again.order.id, keyed.order.id)

        try await auth.setStatus(actor: t.admin, id: t.customer.id, status: .active)
        _ = try await orders.place(actor: customer, t.order())

        try await auth.deleteUser(actor: t.admin, id: t.customer.id)
        await XCTAssertThrowsAppError(.conflict, try await orders.place(actor: customer, t.order()),
                                      containing: "user \(t.customer.id) is DELETED; only an ACTIVE user can place orders")
        try await auth.setStatus(actor: t.admin, id: t.other.id, status: .inactive)
        await XCTAssertThrowsAppError(.conflict, try await orders.place(actor: t.otherActor, t.order()), containing: "is INACTIVE")

        let placed = try await orders.list(actor: t.admin, filter: OrderFilter(userId: t.customer.id))
        XCTAssertEqual(placed.totalElements, 3)
        await assertEqual(try await orders.list(actor: t.admin, filter: OrderFilter(userId: t.other.id)).totalElements, 0)
        await t.stop()
    }

    func testAPaymentOfALockedAccountIsNotChargedAgain() async throws {
        let t = try await TestSystem.make()
        let failed = try await t.placeAndSettle(token: "tok_chargeDeclined")
        XCTAssertEqual(failed.status, .failed)
        let payment = try await t.system.payments.payment(actor: t.customerActor, orderId: failed.id)
        XCTAssertEqual(payment.status, .failed)

        try await t.system.auth.setStatus(actor: t.admin, id: t.customer.id, status: .locked)
        for actor in [t.customerActor, t.admin] {
            await XCTAssertThrowsAppError(.conflict, try await t.system.payments.retry(actor: actor, id: payment.id, paymentToken: "tok_visa"),
                                          containing: "user \(t.customer.id) is LOCKED; only an ACTIVE user can have payments charged")
        }
        await assertEqual(try await t.system.payments.payment(actor: t.admin, id: payment.id).attempts, payment.attempts)
        // Cancelling what would be charged is still the owner's to do.
        let cancelled = try await t.system.payments.cancel(actor: t.customerActor, id: payment.id)
        XCTAssertEqual(cancelled.status, .cancelled)
        await t.stop()
    }
}
