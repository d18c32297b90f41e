import Foundation
import OrderPayCore
import OrderPayServices
import XCTest

/// What an access token issued before a lock or a delete can still do through the gateway (it
/// stays valid for its 5 minutes): nothing that charges the account. The order and payment
/// services ask the auth service for the account's status (a user's own answer kept at most 2 s).
final class GatewayAccountStatusTests: XCTestCase {
    /// A registry that is down leaves the order service the auth instances it last saw: orders are
    /// still checked and placed (the check refreshed its list first and failed with a 500), and
    /// without waiting on the registry (each waited out the registry client's 5 s timeout).
    func testOrdersAreCheckedWithTheLastKnownAuthInstancesWhileTheRegistryIsDown() async throws {
        try await GatewayTestCluster.with { c in
            let kim = try await c.token(c.customer)
            _ = try await c.placeOrder(token: kim)
            await c.stopRegistry()
            try await Task.sleep(for: .milliseconds(2_100))   // past the order service's 2 s for its list
            let body = PlaceOrderRequest(items: [.init(productId: c.keyboard.id, quantity: 1)], shippingAddress: "1 Gateway Street")
            for _ in 0..<2 {
                let started = ContinuousClock.now
                let placed = try await c.call(.POST, "/api/orders", token: kim, body: body)
                XCTAssertEqual(placed.status, 201, placed.text)
                XCTAssertLessThan(ContinuousClock.now - started, .seconds(3), "an order waited on the registry")
            }
        }
    }

    func testAnEarlierTokenOfALockedOrDeletedUserChargesNothing() async throws {
        try await GatewayTestCluster.with { c in
            let admin = try await c.token(c.admin)
            let kim = try await c.token(c.customer)
            let lee = try await c.token(c.other)
            let auth = c.host(.auth).system.auth
            let body = PlaceOrderRequest(items: [.init(productId: c.keyboard.id, quantity: 1)], shippingAddress: "1 Gateway Street")
            let declined = PlaceOrderRequest(items: [.init(productId: c.keyboard.id, quantity: 1)], shippingAddress: "1 Gateway Street",
                                             paymentToken: "tok_chargeDeclined")
            let placed = try await c.call(.POST, "/api/orders?userId=\(c.customer.id)", token: admin, body: declined).decode(Order.self)
            _ = try await c.waitForOrder(placed.id, token: admin)
            let payment = try await c.call(.GET, "/api/payments/order/\(placed.id)", token: kim).decode(Payment.self)
            XCTAssertEqual(payment.status, .failed)

            try await auth.setStatus(actor: .system("test"), id: c.customer.id, status: .locked)
            try await c.call(.POST, "/api/orders", token: kim, body: body)
                .problem(409, containing: "user \(c.customer.id) is LOCKED; only an ACTIVE user can place orders")
            try await c.call(.POST, "/api/payments/\(payment.id)/retry", token: kim, json: #"{"paymentToken":"tok_visa"}"#)
                .problem(409, containing: "user \(c.customer.id) is LOCKED; only an ACTIVE user can have payments charged")

            // Lee's answer "ACTIVE" is kept for at most 2 s after this order; a delete is seen after that.
            _ = try await c.placeOrder(token: lee)
            try await auth.deleteUser(actor: .system("test"), id: c.other.id)
            try await Task.sleep(for: .milliseconds(2_100))
            try await c.call(.POST, "/api/orders", token: lee, body: body)
                .problem(409, containing: "user \(c.other.id) is DELETED; only an ACTIVE user can place orders")

            let kims = try await c.call(.GET, "/api/orders?userId=\(c.customer.id)", token: admin).decode(Page<Order>.self)
            XCTAssertEqual(kims.totalElements, 1)
            let lees = try await c.call(.GET, "/api/orders?userId=\(c.other.id)", token: admin).decode(Page<Order>.self)
            XCTAssertEqual(lees.totalElements, 1)
            let after = try await c.call(.GET, "/api/payments/\(payment.id)", token: admin).decode(Payment.self)
            XCTAssertEqual(after.attempts, payment.attempts)
            XCTAssertEqual(after.status, .failed)
        }
    }

    /// Wrong current passwords lock the account like wrong logins: five, and then even the right
    /// one is refused (403 with login's message), and so is a login.
    func testWrongCurrentPasswordsLockTheAccount() async throws {
        try await GatewayTestCluster.with { c in
            let kim = try await c.token(c.customer)
            func change(_ current: String) async throws -> Reply {
                try await c.call(.PUT, "/api/users/\(c.customer.id)/password", token: kim,
                                 body: ChangePasswordRequest(currentPassword: current, newPassword: "new-password-1", confirmPassword: "new-password-1"))
            }
            for attempt in 1...4 {
                try await change("guess-\(attempt)").problem(422, containing: "current password is incorrect")
            }
            try await change("guess-5").problem(403, containing: "account temporarily locked after too many wrong passwords; try again in 15 minutes")
            try await change(GatewayTestCluster.password).problem(403, containing: "temporarily locked")
            try await c.call(.POST, "/api/auth/login", json: #"{"email":"\#(c.customer.email)","password":"\#(GatewayTestCluster.password)"}"#)
                .problem(401, containing: "temporarily locked")
        }
    }
}
