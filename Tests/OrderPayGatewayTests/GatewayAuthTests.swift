import Foundation
import NIOHTTP1
import OrderPayCore
import OrderPayServices
import XCTest

/// Through the gateway: the whole flow, the JWT check at the edge, who may read what, and
/// refresh-token reuse detection.
final class GatewayAuthTests: XCTestCase {
    func testLoginAndOrderThroughTheGatewayReachesPaid() async throws {
        try await GatewayTestCluster.with { c in
            let login = try await c.login(c.customer)
            XCTAssertEqual(login.tokenType, "Bearer")
            let me = try await c.call(.GET, "/api/users/me", token: login.accessToken)
            XCTAssertEqual(me.status, 200, me.text)
            XCTAssertEqual(try me.decode(User.self).email, c.customer.email)
            XCTAssertNotNil(me.headers.first(name: "X-Request-Id"))
            XCTAssertNotNil(me.headers.first(name: "traceparent"))

            let placed = try await c.placeOrder(token: login.accessToken)
            XCTAssertEqual(placed.userId, c.customer.id)
            XCTAssertEqual(placed.totalAmount, Money("40.08")!)
            let paid = try await c.waitForOrder(placed.id, token: login.accessToken)
            XCTAssertEqual(paid.status, .paid)

            let payment = try await c.call(.GET, "/api/payments/order/\(placed.id)", token: login.accessToken)
            XCTAssertEqual(payment.status, 200, payment.text)
            let charged = try payment.decode(Payment.self)
            XCTAssertEqual(charged.amount, Money("40.08")!)
            XCTAssertEqual(charged.status, .success)

            let history = try await c.call(.GET, "/api/orders/\(placed.id)/history", token: login.accessToken)
            XCTAssertEqual(history.status, 200, history.text)
            XCTAssertTrue(history.text.contains("PAID"), history.text)
        }
    }

    func testEdgeRefusesMissingExpiredTamperedAndForeignTokens() async throws {
        try await GatewayTestCluster.with { c in
            let good = try await c.token(c.customer)
            try await c.call(.GET, "/api/orders", token: good).expect(200)

            let missing = try await c.call(.GET, "/api/orders")
            try missing.problem(401)
            XCTAssertEqual(missing.headers.first(name: "WWW-Authenticate")?.hasPrefix("Bearer"), true)

            // Same key, but issued ten minutes ago with a five-minute lifetime.
            let past = ManualClock(Date().addingTimeInterval(-600))
            let expired = try await TokenService(secret: c.jwtSecret, clock: past).issueAccessToken(for: c.customer)
            try await c.call(.GET, "/api/orders", token: expired).problem(401, containing: "expired")

            // A customer's token rewritten to claim the admin role: the signature no longer matches.
            try await c.call(.GET, "/api/users", token: Self.claimingAdmin(good)).problem(401, containing: "invalid")

            // Signed with the right key by someone else.
            let foreign = try await TokenService(secret: c.jwtSecret, issuer: "someone-else", clock: SystemClock())
                .issueAccessToken(for: c.customer)
            try await c.call(.GET, "/api/orders", token: foreign).problem(401, containing: "issuer")

            // Signed with another key.
            let forged = try await TokenService(secret: "another-secret-another-secret-0123456789", clock: SystemClock())
                .issueAccessToken(for: c.admin)
            try await c.call(.GET, "/api/users", token: forged).problem(401)
            try await c.call(.GET, "/api/orders", json: nil, headers: [("Authorization", "Basic YWRtaW46YWRtaW4=")]).problem(401)
            // Each refusal came from the edge: the services saw none of them.
            let payments = try await c.call(.GET, "/api/payments/order/1", token: expired)
            try payments.problem(401)
        }
    }

    func testPublicRoutesNeedNoToken() async throws {
        try await GatewayTestCluster.with { c in
            let signup = try await c.call(.POST, "/api/auth/signup",
                                          json: #"{"email":"new@example.com","password":"password-9","name":"New"}"#)
            XCTAssertEqual(signup.status, 201, signup.text)
            let login = try await c.call(.POST, "/api/auth/login", json: #"{"email":"new@example.com","password":"password-9"}"#)
            XCTAssertEqual(login.status, 200, login.text)
            let pair = try login.decode(TokenPair.self)
            let refreshed = try await c.call(.POST, "/api/auth/refresh", body: ["refreshToken": pair.refreshToken])
            XCTAssertEqual(refreshed.status, 200, refreshed.text)
            let health = try await c.call(.GET, "/health")
            XCTAssertEqual(health.status, 200, health.text)
            XCTAssertEqual(try health.json()["status"] as? String, "UP")
            let openapi = try await c.call(.GET, "/openapi.json")
            XCTAssertEqual(openapi.status, 200, openapi.text)
            // A public path is public for its method only, and a wrong password is the service's 401.
            try await c.call(.GET, "/api/auth/login").problem(401)
            try await c.call(.POST, "/api/auth/login", json: #"{"email":"new@example.com","password":"wrong-pass"}"#)
                .problem(401, containing: "invalid email or password")
            try await c.call(.GET, "/nowhere").problem(404)
        }
    }

    /// A status is named the same whoever answers it: the gateway's own 404 and 405 and a
    /// service's, proxied, have one type and one title.
    func testProblemsAreNamedAlikeByTheGatewayAndTheServices() async throws {
        try await GatewayTestCluster.with { c in
            let admin = try await c.token(c.admin)
            let pairs: [(gateway: Reply, service: Reply)] = [
                (try await c.call(.GET, "/nowhere"), try await c.call(.GET, "/api/orders/999999", token: admin)),
                (try await c.call(.POST, "/health"), try await c.call(.DELETE, "/api/orders", token: admin)),
            ]
            for (gateway, service) in pairs {
                let (g, s) = (try gateway.json(), try service.json())
                XCTAssertEqual(gateway.status, service.status, "\(gateway.text) / \(service.text)")
                XCTAssertEqual(g["type"] as? String, s["type"] as? String, "\(gateway.text) / \(service.text)")
                XCTAssertEqual(g["title"] as? String, s["title"] as? String, "\(gateway.text) / \(service.text)")
            }
            XCTAssertEqual(try pairs[0].gateway.json()["type"] as? String, "urn:orderpay:problem:not-found")
            XCTAssertEqual(try pairs[1].service.json()["title"] as? String, "Method not allowed")
        }
    }

    func testUsersCannotReadEachOthersOrdersOrPayments() async throws {
        try await GatewayTestCluster.with { c in
            let kim = try await c.token(c.customer)
            let lee = try await c.token(c.other)
            let admin = try await c.token(c.admin)
            let order = try await c.placeOrder(token: kim)
            _ = try await c.waitForOrder(order.id, token: kim)
            let payment = try await c.call(.GET, "/api/payments/order/\(order.id)", token: kim).decode(Payment.self)

            for path in ["/api/orders/\(order.id)", "/api/orders/\(order.id)/history", "/api/payments/order/\(order.id)",
                         "/api/payments/\(payment.id)", "/api/users/\(c.customer.id)"] {
                let denied = try await c.call(.GET, path, token: lee)
                XCTAssertTrue([403, 404].contains(denied.status), "\(path): \(denied.status) \(denied.text)")
                XCTAssertEqual(denied.headers.first(name: "Content-Type"), "application/problem+json", path)
                XCTAssertFalse(denied.text.contains(order.orderNumber), path)
                let allowed = try await c.call(.GET, path, token: admin)
                XCTAssertEqual(allowed.status, 200, "\(path): \(allowed.text)")
            }
            try await c.call(.GET, "/api/orders?userId=\(c.customer.id)", token: lee).problem(403)
            let leesOrders = try await c.call(.GET, "/api/orders", token: lee)
            XCTAssertEqual(leesOrders.status, 200)
            XCTAssertEqual(try leesOrders.decode(Page<Order>.self).content.count, 0)
            try await c.call(.GET, "/api/users", token: lee).problem(403)
            try await c.call(.POST, "/api/orders/\(order.id)/cancel", token: lee, json: "{}").problem(404)
            try await c.call(.GET, "/api/users", token: admin).expect(200)
        }
    }

    /// The order service keeps no accounts: it asks the auth service (found in the registry, with
    /// the admin's own token) whether the user an admin orders for has an active account.
    func testAnAdminsOrderForAnotherUserIsCheckedWithTheAuthService() async throws {
        try await GatewayTestCluster.with { c in
            let admin = try await c.token(c.admin)
            let body = PlaceOrderRequest(items: [.init(productId: c.keyboard.id, quantity: 1)], shippingAddress: "1 Gateway Street")
            try await c.call(.POST, "/api/orders?userId=999999", token: admin, body: body).problem(422, containing: "user 999999 does not exist")
            let placed = try await c.call(.POST, "/api/orders?userId=\(c.other.id)", token: admin, body: body)
            XCTAssertEqual(placed.status, 201, placed.text)
            XCTAssertEqual(try placed.decode(Order.self).userId, c.other.id)

            _ = try await c.host(.auth).system.auth.setStatus(actor: .system("test"), id: c.other.id, status: .locked)
            try await c.call(.POST, "/api/orders?userId=\(c.other.id)", token: admin, body: body).problem(409, containing: "is LOCKED")

            // Without the auth service the account cannot be checked, so nothing is placed (the
            // order service may still list the stopped instance: its connection is refused).
            await c.stopService(c.host(.auth))
            try await c.call(.POST, "/api/orders?userId=\(c.customer.id)", token: admin, body: body)
                .problem(503, containing: "cannot check user \(c.customer.id)")
            let orders = try await c.call(.GET, "/api/orders", token: admin).decode(Page<Order>.self)
            XCTAssertEqual(orders.totalElements, 1)
        }
    }

    func testRefreshTokenReuseRevokesTheFamily() async throws {
        try await GatewayTestCluster.with { c in
            let first = try await c.login(c.customer)
            let second = try await c.call(.POST, "/api/auth/refresh", body: ["refreshToken": first.refreshToken])
            XCTAssertEqual(second.status, 200, second.text)
            let rotated = try second.decode(TokenPair.self)
            XCTAssertNotEqual(rotated.refreshToken, first.refreshToken)

            // The first token again: someone replays it, so the whole family ends…
            try await c.call(.POST, "/api/auth/refresh", body: ["refreshToken": first.refreshToken]).problem(401)
            // …including the successor the owner holds.
            try await c.call(.POST, "/api/auth/refresh", body: ["refreshToken": rotated.refreshToken]).problem(401, containing: "revoked")
            // Another login starts a new family that works.
            let again = try await c.login(c.customer)
            let next = try await c.call(.POST, "/api/auth/refresh", body: ["refreshToken": again.refreshToken])
            XCTAssertEqual(next.status, 200, next.text)
        }
    }

    /// The token with its payload's roles replaced by ROLE_ADMIN, signature unchanged.
    static func claimingAdmin(_ token: String) throws -> String {
        var parts = token.split(separator: ".").map(String.init)
        XCTAssertEqual(parts.count, 3)
        var payload = try JSONSerialization.jsonObject(with: base64URLDecode(parts[1])) as! [String: Any]
        payload["roles"] = ["ROLE_ADMIN", "ROLE_USER"]
        parts[1] = base64URLEncode(try JSONSerialization.data(withJSONObject: payload))
        return parts.joined(separator: ".")
    }

    static func base64URLDecode(_ text: String) -> Data {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)!
    }

    static func base64URLEncode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
