import Foundation
import NIOHTTP1
import OrderPayCore
import XCTest

/// Token buckets per client at the gateway: per user when the request carries one, else per address.
final class GatewayRateLimitTests: XCTestCase {
    func testOverTheLimitIs429WithRetryAfterWhileOthersAreServed() async throws {
        try await GatewayTestCluster.with { c in
            // Tokens come through the unlimited gateway; the limited one allows bursts of 3 and
            // then one request per 100 s, so nothing refills during the test.
            let kim = try await c.token(c.customer)
            let lee = try await c.token(c.other)
            let limited = try await c.startGateway(rateLimit: 0.01, burst: 3)
            for _ in 0..<3 {
                let reply = try await c.call(.GET, "/api/products", token: kim, on: limited.baseURL)
                XCTAssertEqual(reply.status, 200, reply.text)
            }
            let refused = try await c.call(.GET, "/api/products", token: kim, on: limited.baseURL)
            try refused.problem(429, containing: "rate limit")
            let retryAfter = try XCTUnwrap(refused.headers.first(name: "Retry-After").flatMap(Int.init), "Retry-After must be whole seconds")
            XCTAssertTrue((1...101).contains(retryAfter), "Retry-After \(retryAfter)")
            XCTAssertNotNil(refused.headers.first(name: "X-Request-Id"))
            // Still refused: another path or method of the same user draws on the same bucket.
            try await c.call(.GET, "/api/orders", token: kim, on: limited.baseURL).problem(429)

            // Another user is served meanwhile, from their own bucket.
            for _ in 0..<3 {
                let reply = try await c.call(.GET, "/api/orders", token: lee, on: limited.baseURL)
                XCTAssertEqual(reply.status, 200, reply.text)
            }
            try await c.call(.GET, "/api/orders", token: lee, on: limited.baseURL).problem(429)

            // Anonymous requests are counted by address, apart from the users' buckets.
            var anonymous: [Int] = []
            for _ in 0..<4 {
                anonymous.append(try await c.call(.POST, "/api/auth/login", json: #"{"email":"x@example.com","password":"wrong-pass"}"#,
                                                  on: limited.baseURL).status)
            }
            XCTAssertEqual(anonymous, [401, 401, 401, 429])

            // So are requests with no user to charge: no token, a forged one (each would cost a
            // signature check), an unknown route. This address's bucket is empty by now.
            try await c.call(.GET, "/api/orders", on: limited.baseURL).problem(429)
            try await c.call(.GET, "/api/orders", token: kim + "x", on: limited.baseURL).problem(429)
            try await c.call(.GET, "/api/nowhere", on: limited.baseURL).problem(429)
            // And the gateway's own public endpoints (/openapi.json would ask every service each
            // time), and the registry view without a token, but for /health, which a load
            // balancer must still reach.
            for path in ["/openapi.json", "/metrics", "/api/registry"] {
                try await c.call(.GET, path, on: limited.baseURL).problem(429)
            }
            try await c.call(.GET, "/health", on: limited.baseURL).expect(200)

            // The unlimited gateway still serves the limited users.
            try await c.call(.GET, "/api/products", token: kim).expect(200)
        }
    }

    /// The gateway's registry view is for admins, and their calls are charged to them, as their
    /// proxied calls are: admins sharing an address (a bastion host) do not share one bucket.
    func testTheRegistryViewDrawsOnTheAdminsBucketNotTheAddresss() async throws {
        try await GatewayTestCluster.with { c in
            let admin = try await c.token(c.admin)
            let limited = try await c.startGateway(rateLimit: 0.01, burst: 3)
            try await c.call(.GET, "/api/registry", token: admin, on: limited.baseURL).expect(200)
            // The address's bucket runs dry (unknown routes are charged to it)...
            for _ in 0..<3 { try await c.call(.GET, "/api/nowhere", on: limited.baseURL).problem(404) }
            try await c.call(.GET, "/api/nowhere", on: limited.baseURL).problem(429)
            // ...and the admin goes on to the end of the admin's own: three calls in all, the
            // proxied one included.
            try await c.call(.GET, "/api/registry", token: admin, on: limited.baseURL).expect(200)
            try await c.call(.GET, "/api/orders", token: admin, on: limited.baseURL).expect(200)
            try await c.call(.GET, "/api/registry", token: admin, on: limited.baseURL).problem(429)
        }
    }
}
