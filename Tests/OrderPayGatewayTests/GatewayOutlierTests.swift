import Foundation
import OrderPayGateway
import OrderPayTestSupport
import XCTest

/// An instance that failed a request goes last for a while (nginx's fail_timeout), so one that
/// hangs costs the upstream timeout once, not on every other request.
final class GatewayOutlierTests: XCTestCase {
    func testAnInstanceThatTimedOutIsTriedLastForAWhile() async throws {
        var options = GatewayTestCluster.Options()
        options.services = [.auth, .orders]
        try await GatewayTestCluster.with(options) { c in
            let token = try await c.token(c.customer)
            let silent = try await DroppingUpstream.start(silent: true)
            let registry = EurekaClient(baseURL: c.registryURL)
            try await registry.register(app: "ORDER-SERVICE", instanceId: "hangs", host: "127.0.0.1", port: silent.port)
            let impatient = try await c.startGateway(upstreamTimeout: .milliseconds(300))
            try await c.refreshGateway(impatient)
            var timedOut = 0
            for _ in 0..<8 {
                let reply = try await c.call(.GET, "/api/products", token: token, on: impatient.baseURL)
                if reply.status == 504 { timedOut += 1 } else { XCTAssertEqual(reply.status, 200, reply.text) }
            }
            // Round-robin over the two sent every other request to the silent one (4 of 8).
            XCTAssertLessThanOrEqual(timedOut, 1)
            await silent.stop()
        }
    }
}
