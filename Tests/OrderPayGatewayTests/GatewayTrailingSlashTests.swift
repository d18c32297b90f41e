import Foundation
import XCTest

/// A path with a trailing slash is the path without it, as the services route it
/// (`/api/orders/1/` is order 1): the gateway's own endpoints follow the same rule, and so does
/// its list of paths that need no token. `/api/registry/` and `/openapi.json/` were 404.
final class GatewayTrailingSlashTests: XCTestCase {
    func testTheGatewaysOwnRoutesTakeATrailingSlash() async throws {
        try await GatewayTestCluster.with { c in
            let admin = try await c.token(c.admin)
            for path in ["/health/", "/openapi.json/", "/metrics/"] {
                try await c.call(.GET, path).expect(200)
            }
            try await c.call(.GET, "/api/registry/", token: admin).expect(200)
            try await c.call(.GET, "/api/registry/").expect(401)
            // A public service path with a slash is still public: no token asked for.
            let login = #"{"email":"\#(c.customer.email)","password":"\#(GatewayTestCluster.password)"}"#
            try await c.call(.POST, "/api/auth/login/", json: login).expect(200)
            try await c.call(.GET, "/api/registryx", token: admin).expect(404)
        }
    }
}
