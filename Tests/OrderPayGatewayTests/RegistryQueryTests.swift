import Foundation
import Logging
import NIOHTTP1
import OrderPayServer
import OrderPayTestSupport
import XCTest

/// The registry's Eureka endpoints read their query parameters as the services do: one given
/// twice is a 400 naming it (Eureka's `value` took the first, silently), and a percent-encoded
/// name is that name.
final class RegistryQueryTests: XCTestCase {
    static let json = [("Accept", "application/json")]

    func testAQueryParameterGivenTwiceIsRefusedAndAnEncodedNameIsTheName() async throws {
        let registry = try await BillingRegistry.start("registry-query", dataDirectory: try temporaryDirectory("registry-query").path)
        let base = registry.baseURL + "/eureka/apps/BILLING"
        let id = BillingRegistry.instanceId
        func status() async throws -> String? {
            let one = try await Reply.send(.GET, "\(base)/\(id)", headers: Self.json).expect(200)
            return (try one.json()["instance"] as? [String: Any])?["status"] as? String
        }

        for (method, path, name) in [(HTTPMethod.PUT, "/status?value=UP&value=OUT_OF_SERVICE", "value"),
                                     (.PUT, "/status?valu%65=OUT_OF_SERVICE&value=UP", "value"),
                                     (.DELETE, "/status?value=UP&value=STARTING", "value"),
                                     (.PUT, "?lastDirtyTimestamp=1&lastDirtyTime%73tamp=2", "lastDirtyTimestamp")] {
            let refused = try await Reply.send(method, "\(base)/\(id)\(path)")
            let problem = try refused.problem(400, containing: "'\(name)' is given more than once")
            XCTAssertEqual((problem["errors"] as? [[String: Any]])?.first?["field"] as? String, name, refused.text)
        }
        let unchanged = try await status()
        XCTAssertEqual(unchanged, "UP")

        // Given once under an encoded name, it is that parameter (it was "value must be one of …").
        try await Reply.send(.PUT, "\(base)/\(id)/status?valu%65=OUT_OF_SERVICE").expect(200)
        let overridden = try await status()
        XCTAssertEqual(overridden, "OUT_OF_SERVICE")
        await registry.stop()
    }
}
