import Foundation
import Logging
import NIOHTTP1
import OrderPayServer
import OrderPayTestSupport
import XCTest

/// HEAD is answered wherever GET is (README), by the registry as by the services and the
/// gateway: GET's status and headers, no body. It was 405 with `Allow: GET`.
final class RegistryHeadTests: XCTestCase {
    func testHeadIsAnsweredWhereverGetIs() async throws {
        let registry = try await BillingRegistry.start("registry-head", dataDirectory: try temporaryDirectory("registry-head").path)
        let base = registry.baseURL

        let json = [("Accept", "application/json")]
        for path in ["/health", "/metrics", "/openapi.json", "/eureka/apps", "/eureka/apps/BILLING", "/eureka/apps/BILLING/billing-1"] {
            let get = try await Reply.send(.GET, base + path, headers: json).expect(200)
            let head = try await Reply.send(.HEAD, base + path, headers: json)
            XCTAssertEqual(head.status, 200, "HEAD \(path): \(head.text)")
            XCTAssertEqual(head.body.count, 0, "HEAD \(path) has no body")
            XCTAssertEqual(head.headers.first(name: "Content-Type"), get.headers.first(name: "Content-Type"), path)
        }
        // An unknown app is GET's 404, and a method a path does not take names HEAD among those it does.
        try await Reply.send(.HEAD, "\(base)/eureka/apps/NOPE", headers: json).expect(404)
        let refused = try await Reply.send(.DELETE, "\(base)/health")
        XCTAssertEqual(refused.status, 405, refused.text)
        XCTAssertEqual(refused.headers.first(name: "Allow"), "GET, HEAD")
        await registry.stop()
    }
}
