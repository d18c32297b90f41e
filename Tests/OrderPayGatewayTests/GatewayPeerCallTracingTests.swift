import Foundation
import Logging
import OrderPayCore
import OrderPayServices
import OrderPayTestSupport
import XCTest

/// A call one service makes to another on a request's behalf carries that request's id and
/// continues its trace, so the callee's log lines join the request's.
final class GatewayPeerCallTracingTests: XCTestCase {
    func testTheAccountCheckCarriesTheOrdersRequestIdAndTrace() async throws {
        let log = CapturedLog()
        var options = GatewayTestCluster.Options()
        options.serviceLogger = Logger(label: "services") { _ in log.handler }
        try await GatewayTestCluster.with(options) { c in
            let admin = try await c.token(c.admin)
            let traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
            let body = PlaceOrderRequest(items: [.init(productId: c.keyboard.id, quantity: 1)], shippingAddress: "1 Gateway Street")
            // An admin placing for someone: that account's status is asked of auth every time.
            let placed = try await c.call(.POST, "/api/orders?userId=\(c.customer.id)", token: admin, body: body,
                                          headers: [("X-Request-Id", "peer-call-1"), ("traceparent", "00-\(traceId)-00f067aa0ba902b7-01")])
            XCTAssertEqual(placed.status, 201, placed.text)

            let lookups = log.messages.filter { $0.message.hasPrefix("GET /api/users/\(c.customer.id) 200 ") }
            XCTAssertEqual(lookups.count, 1, "\(log.messages.map(\.message))")
            XCTAssertEqual(lookups.first?.metadata["requestId"], "peer-call-1")
            XCTAssertEqual(lookups.first?.metadata["traceId"], traceId)
        }
    }
}
