import Foundation
import OrderPayTestSupport
import XCTest

/// Clients that close their sending side once their requests are sent.
final class GatewayHalfCloseTests: XCTestCase {
    /// `printf 'GET …' | nc -N`: the client shuts down its side once the request is sent and
    /// reads the answer. The gateway took that for a client gone (499) and answered nothing.
    func testAClientThatHalfClosesAfterItsRequestsGetsTheirAnswers() async throws {
        try await GatewayTestCluster.with { c in
            let token = try await c.token(c.customer)
            let order = try await c.placeOrder(token: token)
            let port = try XCTUnwrap(URL(string: c.gatewayURL)?.port)
            let health = try await RawSocketClient.exchange(port: port, ["GET /health HTTP/1.1\r\nHost: x\r\n\r\n"], readTimeout: 5, halfClose: true)
            XCTAssertTrue(health.text.hasPrefix("HTTP/1.1 200 OK\r\n"), health.text)
            XCTAssertTrue(health.closedByServer, "the connection stayed open after the answer")

            // Proxied, two pipelined: both answered, in order, then the end.
            let get = "GET /api/orders/\(order.id) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n\r\n"
            let proxied = try await RawSocketClient.exchange(port: port, [get + get], readTimeout: 5, halfClose: true)
            XCTAssertEqual(proxied.text.components(separatedBy: "HTTP/1.1 200 OK\r\n").count, 3, proxied.text)
            XCTAssertTrue(proxied.text.contains(order.orderNumber), proxied.text)
            XCTAssertTrue(proxied.closedByServer)

            // A request cut short by the close can never be answered: the connection just ends.
            let cut = try await RawSocketClient.exchange(port: port, ["GET /health HTTP/1.1\r\nHo"], readTimeout: 5, halfClose: true)
            XCTAssertEqual(cut.text, "")
            XCTAssertTrue(cut.closedByServer)
        }
    }
}
