import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import OrderPayCore
import OrderPayHTTP
import OrderPayServices
import OrderPayTestSupport
import XCTest

/// The same router on a real loopback socket, and the access log it writes.
final class LiveServerTests: XCTestCase {
    func testOverLoopbackWithAccessLog() async throws {
        let t = try await HTTPTestSystem.make()
        let lines = CapturedLog()
        var logger = Logger(label: "live") { _ in lines.handler }
        logger.logLevel = .debug
        let app = Application(router: t.api, logger: logger)
        do {
            try await app.test(.live) { client in
                XCTAssertNotNil(client.port)
                let health = try await client.call(.get, "/health", headers: [.requestID: "live-1"])
                XCTAssertEqual(health.status, .ok)
                XCTAssertEqual(health.headers[.requestID], "live-1")

                let customer = try await client.token(t.customer)
                let admin = try await client.token(t.admin)
                let placed = try await client.call(.post, "/api/orders", token: customer, body: t.placeRequest())
                XCTAssertEqual(placed.status, .created, placed.text)
                let order = try placed.decode(Order.self)
                _ = try await t.settled(order.id)
                let stream = try await client.call(.get, "/api/events/stream?from=0&limit=4", token: admin)
                XCTAssertEqual(ServerSentMessage.parse(stream.text).map(\.event).first, "order-created")
                try await client.call(.get, "/api/orders/nope", token: customer).problem(400)
            }
        } catch {
            await t.stop()
            throw error
        }
        await t.stop()
        let access = lines.messages.filter { $0.message.hasPrefix("GET /health ") }
        XCTAssertEqual(access.count, 1, "\(lines.messages.map(\.message))")
        XCTAssertTrue(access[0].message.hasPrefix("GET /health 200 "), access[0].message)
        XCTAssertEqual(access[0].metadata["requestId"], "live-1")
        XCTAssertEqual(access[0].metadata["status"], "200")
        XCTAssertNotNil(access[0].metadata["durationMs"])
        // Checks that pass come every few seconds (`orderpay up`, load balancers): debug, not info.
        XCTAssertEqual(access[0].level, .debug)
        XCTAssertEqual(lines.messages.first { $0.message.hasPrefix("GET /api/orders/nope 400 ") }?.level, .info)
    }
}

