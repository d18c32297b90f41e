import Foundation
import OrderPayCore
import OrderPayEmbedded
import OrderPayServices
import XCTest

/// Every bad input gets a clear error of the right kind, and nothing is written.
final class ValidationTests: XCTestCase {
    /// An admin may place an order for another user only if that user has an active account: an
    /// order for an id nobody has, or for a deleted or deactivated account, would be charged and
    /// belong to no one who can see it.
    func testAnAdminPlacesOrdersOnlyForActiveAccounts() async throws {
        let t = try await TestSystem.make()
        let orders = t.system.orders, auth = t.system.auth
        for id: Int64 in [424_242, 0, -1] {
            await XCTAssertThrowsAppError(.validation, try await orders.place(actor: t.admin, forUser: id, t.order()), containing: "user \(id) does not exist")
        }
        let placed = try await orders.place(actor: t.admin, forUser: t.other.id, t.order())
        XCTAssertEqual(placed.userId, t.other.id)

        let keyed = try await orders.place(actor: t.admin, forUser: t.other.id, t.order(), idempotencyKey: "admin-1")

        _ = try await auth.setStatus(actor: t.admin, id: t.other.id, status: .inactive)
        await XCTAssertThrowsAppError(.conflict, try await orders.place(actor: t.admin, forUser: t.other.id, t.order()), containing: "is INACTIVE")
        // A retry of an order already placed is answered with it, whatever the account's state now.
        let retried = try await orders.place(actor: t.admin, forUser: t.other.id, t.order(), idempotencyKey: "admin-1")
        XCTAssertEqual(retried.id, keyed.id)
        try await auth.deleteUser(actor: t.admin, id: t.other.id)
        await XCTAssertThrowsAppError(.conflict, try await orders.place(actor: t.admin, forUser: t.other.id, t.order()), containing: "is DELETED")
        await assertEqual(try await orders.list(actor: t.admin).totalElements, 2)
    }

    /// A cancellation's reason is read by people (the history, the event, the console): the
    /// same rule as a refund's.
    func testACancellationReasonIsCheckedLikeARefundReason() async throws {
        let t = try await TestSystem.make()
        let order = try await t.system.orders.place(actor: t.customerActor, t.order(token: "tok_chargeDeclined"))
        for reason in ["", "   ", "\u{1B}[31mred\u{1B}[0m", String(repeating: "r", count: 501)] {
            await XCTAssertThrowsAppError(.validation, try await t.system.orders.cancel(actor: t.customerActor, id: order.id, reason: reason),
                                          containing: "reason")
        }
        let cancelled = try await t.system.orders.cancel(actor: t.customerActor, id: order.id, reason: "  changed my mind  ")
        XCTAssertEqual(cancelled.status, .cancelled)
        let history = try await t.system.orders.history(actor: t.customerActor, orderId: order.id)
        XCTAssertEqual(history.last?.reason, "changed my mind")
        await t.stop()
    }

    func testBadOrdersAreRefusedWithFieldErrors() async throws {
        let t = try await TestSystem.make()
        let orders = t.system.orders
        let me = t.customerActor
        await XCTAssertThrowsAppError(.validation, try await orders.place(actor: me, t.order(items: [])), containing: "at least one item")
        let basket = [PlaceOrderRequest.Item](repeating: .init(productId: t.keyboard.id, quantity: 1), count: 101)
        await XCTAssertThrowsAppError(.validation, try await orders.place(actor: me, t.order(items: basket)), containing: "at most 100 items")
        await XCTAssertThrowsAppError(.validation, try await orders.place(actor: me, t.order(items: [.init(productId: t.keyboard.id, quantity: 0)])), containing: "quantity")
        await XCTAssertThrowsAppError(.validation, try await orders.place(actor: me, t.order(items: [.init(productId: t.keyboard.id, quantity: 1000)])), containing: "between 1 and 999")
        await XCTAssertThrowsAppError(.validation, try await orders.place(actor: me, t.order(items: [.init(productId: 9999, quantity: 1)])), containing: "does not exist")
        await XCTAssertThrowsAppError(.validation, try await orders.place(actor: me, t.order(items: [.init(productId: t.retired.id, quantity: 1)])), containing: "not available")
        var noAddress = t.order()
        noAddress.shippingAddress = "   "
        await XCTAssertThrowsAppError(.validation, try await orders.place(actor: me, noAddress), containing: "shippingAddress")
        await XCTAssertThrowsAppError(.validation, try await orders.place(actor: me, t.order(token: "4242 4242 4242 4242")), containing: "paymentToken")
        await XCTAssertThrowsAppError(.forbidden, try await orders.place(actor: me, forUser: t.other.id, t.order()))
        var escaped = t.order()
        escaped.shippingAddress = "Elm St 1\u{1B}]0;owned\u{7}"
        await XCTAssertThrowsAppError(.validation, try await orders.place(actor: me, escaped), containing: "shippingAddress must not contain control characters")
        // Idempotency keys are visible ASCII: other header bytes decode lossily, so two different
        // keys could collide.
        for key in ["", String(repeating: "k", count: 201), "clé-1", "two words", "k\u{FFFD}"] {
            await XCTAssertThrowsAppError(.validation, try await orders.place(actor: me, t.order(), idempotencyKey: key), containing: "Idempotency-Key")
        }

        var everything = t.order(items: [.init(productId: t.keyboard.id, quantity: 0), .init(productId: t.mouse.id, quantity: -1)])
        everything.shippingAddress = ""
        do {
            _ = try await orders.place(actor: me, everything)
            XCTFail("expected validation errors")
        } catch let error as AppError {
            XCTAssertEqual(Set(error.fieldErrors.map(\.field)), ["items[0].quantity", "items[1].quantity", "shippingAddress"])
        }
        await assertEqual(try await orders.list(actor: t.admin).totalElements, 0)
        await t.stop()
    }

    func testOwnersOnlySeeTheirOwnOrdersAndPayments() async throws {
        let t = try await TestSystem.make()
        let order = try await t.placeAndSettle()
        let payment = try await t.system.payments.payment(actor: t.admin, orderId: order.id)
        await XCTAssertThrowsAppError(.notFound, try await t.system.orders.order(actor: t.otherActor, id: order.id))
        await XCTAssertThrowsAppError(.notFound, try await t.system.orders.history(actor: t.otherActor, orderId: order.id))
        await XCTAssertThrowsAppError(.notFound, try await t.system.payments.payment(actor: t.otherActor, id: payment.id))
        await XCTAssertThrowsAppError(.notFound, try await t.system.payments.payment(actor: t.otherActor, orderId: order.id))
        await XCTAssertThrowsAppError(.forbidden, try await t.system.orders.list(actor: t.otherActor, filter: OrderFilter(userId: t.customer.id)))
        await assertEqual(try await t.system.orders.list(actor: t.otherActor).totalElements, 0)
        await assertEqual(try await t.system.orders.list(actor: t.customerActor).totalElements, 1)
        await assertEqual(try await t.system.payments.list(actor: t.otherActor).totalElements, 0)
        await XCTAssertThrowsAppError(.notFound, try await t.system.payments.retry(actor: t.otherActor, id: payment.id))
        await t.stop()
    }

    func testBadPaymentActionsAreRefused() async throws {
        let t = try await TestSystem.make()
        let paid = try await t.placeAndSettle()
        let payment = try await t.system.payments.payment(actor: t.admin, orderId: paid.id)
        await XCTAssertThrowsAppError(.conflict, try await t.system.payments.retry(actor: t.admin, id: payment.id), containing: "only a FAILED payment")
        await XCTAssertThrowsAppError(.validation, try await t.system.payments.retry(actor: t.admin, id: payment.id, paymentToken: "bad token"))
        await XCTAssertThrowsAppError(.validation, try await t.system.payments.initiateRefund(actor: t.admin, id: payment.id, reason: " "))
        await XCTAssertThrowsAppError(.validation, try await t.system.payments.initiateRefund(actor: t.admin, id: payment.id, reason: "broken\u{1B}[1m"),
                                      containing: "control characters")
        await XCTAssertThrowsAppError(.conflict, try await t.system.payments.processRefund(actor: t.admin, id: payment.id), containing: "REFUND_PENDING")
        await XCTAssertThrowsAppError(.conflict, try await t.system.payments.cancel(actor: t.admin, id: payment.id))
        await XCTAssertThrowsAppError(.notFound, try await t.system.payments.payment(actor: t.admin, id: 424242))
        await XCTAssertThrowsAppError(.notFound, try await t.system.orders.cancel(actor: t.admin, id: 424242))
        await t.stop()
    }

    func testCatalogRules() async throws {
        let t = try await TestSystem.make()
        await XCTAssertThrowsAppError(.forbidden, try await t.system.orders.createProduct(actor: t.customerActor, sku: "X", name: "X", unitPrice: Money("1.00")!))
        await XCTAssertThrowsAppError(.conflict, try await t.system.orders.createProduct(actor: t.admin, sku: "kb", name: "Dup", unitPrice: Money("1.00")!))
        await XCTAssertThrowsAppError(.validation, try await t.system.orders.createProduct(actor: t.admin, sku: "Z", name: "Free", unitPrice: .zero))
        await XCTAssertThrowsAppError(.validation, try await t.system.orders.createProduct(actor: t.admin, sku: "Z\t1", name: "Tab", unitPrice: Money("1.00")!),
                                      containing: "sku must not contain control characters")
        await XCTAssertThrowsAppError(.validation, try await t.system.orders.createProduct(actor: t.admin, sku: "Z", name: "Bell\u{7}", unitPrice: Money("1.00")!),
                                      containing: "name must not contain control characters")
        // A replaced product is trimmed as a new one is, so a padded SKU cannot pass as another.
        var padded = t.mouse
        padded.sku = " KB "
        await XCTAssertThrowsAppError(.conflict, try await t.system.orders.updateProduct(actor: t.admin, padded))
        padded.sku = " MS-2 "
        padded.name = " Mouse 2 "
        let renamed = try await t.system.orders.updateProduct(actor: t.admin, padded)
        XCTAssertEqual([renamed.sku, renamed.name], ["MS-2", "Mouse 2"])
        await t.stop()
    }
}
