import AsyncHTTPClient
import Foundation
import Logging
import NIOHTTP1
import NIOCore
import OrderPayCore
import OrderPayGateway
import OrderPayTestSupport
import XCTest

/// Server-sent events from the order service, through the gateway.
final class GatewayEventStreamTests: XCTestCase {
    /// The stream is passed through as it is written: events arrive while it is still open (an
    /// unlimited stream never ends by itself), in log order.
    func testLiveStreamPassesThroughUnbufferedAndInOrder() async throws {
        try await GatewayTestCluster.with { c in
            let admin = try await c.token(c.admin)
            let kim = try await c.token(c.customer)

            var request = HTTPClientRequest(url: c.gatewayURL + "/api/events/stream?from=0")
            request.headers.add(name: "Authorization", value: "Bearer \(admin)")
            // The deadline bounds the whole exchange, body included.
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            XCTAssertEqual(response.status.code, 200)
            XCTAssertEqual(response.headers.first(name: "Content-Type")?.hasPrefix("text/event-stream"), true)
            XCTAssertNil(response.headers.first(name: "Content-Length"))

            // Placed after the stream opened: these events are live, not history.
            let order = try await c.placeOrder(token: kim)
            var text = ""
            var events: [SSEEvent] = []
            for try await chunk in response.body {
                text += String(buffer: chunk)
                events = SSEEvent.parse(text)
                if events.contains(where: { $0.event == "order-status-updated" && $0.data.contains(#""to":"PAID""#) }) { break }
            }
            XCTAssertTrue(events.contains { $0.data.contains(#""to":"PAID""#) }, "no PAID event arrived: \(text)")
            let ids = events.compactMap { Int64($0.id) }
            XCTAssertEqual(ids.count, events.count, "every event has a numeric id")
            XCTAssertEqual(ids, ids.sorted(), "events out of order: \(ids)")
            XCTAssertEqual(Set(ids).count, ids.count, "duplicate events: \(ids)")
            XCTAssertEqual(events.first?.event, "order-created")
            XCTAssertTrue(events.first?.data.contains(#""orderId":\#(order.id)"#) == true, events.first?.data ?? "")
            let topics = events.map(\.event)
            let created = try XCTUnwrap(topics.firstIndex(of: "order-created"))
            let processed = try XCTUnwrap(topics.firstIndex(of: "payment-processed"))
            let paid = try XCTUnwrap(events.firstIndex { $0.data.contains(#""to":"PAID""#) })
            XCTAssertLessThan(created, processed)
            XCTAssertLessThan(processed, paid)
        }
    }

    /// `?from=` and `limit` bound a replay, `Last-Event-ID` resumes it; the stream then ends by itself.
    func testReplayWithLimitAndResumeThroughTheGateway() async throws {
        try await GatewayTestCluster.with { c in
            let admin = try await c.token(c.admin)
            let kim = try await c.token(c.customer)
            let order = try await c.placeOrder(token: kim)
            _ = try await c.waitForOrder(order.id, token: kim)

            let first = try await c.call(.GET, "/api/events/stream?from=0&limit=3", token: admin)
            XCTAssertEqual(first.status, 200, first.text)
            let events = SSEEvent.parse(first.text)
            XCTAssertEqual(events.map(\.id), ["1", "2", "3"], first.text)
            XCTAssertEqual(events.first?.event, "order-created")

            let resumed = try await c.call(.GET, "/api/events/stream?limit=2", token: admin, headers: [("Last-Event-ID", "1")])
            XCTAssertEqual(SSEEvent.parse(resumed.text).map(\.id), ["2", "3"], resumed.text)
            XCTAssertEqual(SSEEvent.parse(resumed.text).map(\.data), Array(events.dropFirst()).map(\.data))

            try await c.call(.GET, "/api/events/stream?from=0&limit=0", token: admin).problem(400, containing: "limit")
            // The smallest sequence number is a start from the beginning, not an overflow that
            // took the order service down.
            let fromMin = try await c.call(.GET, "/api/events/stream?from=\(Int64.min)&limit=1", token: admin)
            XCTAssertEqual(SSEEvent.parse(fromMin.text).map(\.id), ["1"], fromMin.text)
            let lastMin = try await c.call(.GET, "/api/events/stream?limit=1", token: admin, headers: [("Last-Event-ID", "\(Int64.min)")])
            XCTAssertEqual(SSEEvent.parse(lastMin.text).map(\.id), ["1"], lastMin.text)
            try await c.call(.GET, "/api/events/stream?from=0&limit=1", token: kim).problem(403)
        }
    }

    /// A stopping server waits for requests in progress, but an open event stream never ends by
    /// itself: the gateway ends the streams it relays and the order service its own at once,
    /// rather than each holding its shutdown for the whole grace period.
    func testStoppingDoesNotWaitForOpenStreams() async throws {
        try await GatewayTestCluster.with { c in
            let admin = try await c.token(c.admin)
            func openStream(_ baseURL: String) async throws -> HTTPClientResponse {
                var request = HTTPClientRequest(url: baseURL + "/api/events/stream?from=0")
                request.headers.add(name: "Authorization", value: "Bearer \(admin)")
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
                XCTAssertEqual(response.status.code, 200)
                return response
            }
            /// Reads the stream to its end: it must end properly (the chunked body's last chunk),
            /// not hang and not be cut off.
            func drain(_ response: HTTPClientResponse, _ who: String) async {
                do { for try await _ in response.body {} } catch { XCTFail("\(who) cut the stream off: \(error)") }
            }
            let clock = ContinuousClock()
            let grace = Duration.seconds(15)

            let gateway = try await c.startGateway()
            let relayed = try await openStream(gateway.baseURL)
            let gatewayStop = await clock.measure { await c.stopGateway(gateway, grace: grace) }
            await drain(relayed, "the gateway")
            XCTAssertLessThan(gatewayStop, grace / 2, "the gateway waited for the event stream it relays")

            let orders = c.host(.orders)
            let direct = try await openStream(orders.server.baseURL)
            let serviceStop = await clock.measure { await c.stopService(orders, grace: grace) }
            await drain(direct, "the order service")
            XCTAssertLessThan(serviceStop, grace / 2, "the order service waited for its event stream")
        }
    }
}

extension GatewayEventStreamTests {
    /// An event stream has no end of its own, and one access-log line per request still holds:
    /// for a stream its client leaves, and for one a stopping gateway ends.
    func testCutStreamsGetTheirAccessLogLine() async throws {
        try await GatewayTestCluster.with { c in
            let admin = try await c.token(c.admin)
            let log = CapturedLog()
            let gateway = try await c.startGateway(logger: Logger(label: "gateway-access") { _ in log.handler })
            func streamLines() -> [String] { log.messages.map(\.message).filter { $0.hasPrefix("GET /api/events/stream") } }
            func openStream() async throws -> HTTPClientResponse {
                var request = HTTPClientRequest(url: gateway.baseURL + "/api/events/stream?from=0")
                request.headers.add(name: "Authorization", value: "Bearer \(admin)")
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
                XCTAssertEqual(response.status.code, 200)
                return response
            }
            func waitForLines(_ count: Int) async throws {
                let deadline = ContinuousClock.now + .seconds(10)
                while streamLines().count < count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            }

            _ = try await openStream()   // and let go of at once: the client closes the connection
            try await waitForLines(1)
            XCTAssertEqual(streamLines().count, 1, "no line for the stream the client left: \(log.messages.map(\.message))")
            XCTAssertTrue(streamLines().first?.hasSuffix(" 200") == true, streamLines().first ?? "")

            let ended = try await openStream()
            await c.stopGateway(gateway, grace: .seconds(15))
            do { for try await _ in ended.body {} } catch {}
            try await waitForLines(2)
            XCTAssertEqual(streamLines().count, 2, "no line for the stream the stopping gateway ended: \(log.messages.map(\.message))")
        }
    }
}

/// One server-sent event: complete messages only (a trailing partial one is left out).
struct SSEEvent: Equatable {
    var id = ""
    var event = ""
    var data = ""

    static func parse(_ text: String) -> [SSEEvent] {
        var blocks = text.components(separatedBy: "\n\n")
        blocks.removeLast()  // after the last blank line: incomplete (or empty)
        return blocks.compactMap { block in
            var message = SSEEvent()
            var fields = 0
            for line in block.split(separator: "\n") where !line.hasPrefix(":") {
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let value = parts[1].hasPrefix(" ") ? String(parts[1].dropFirst()) : String(parts[1])
                switch parts[0] {
                case "id": message.id = value; fields += 1
                case "event": message.event = value; fields += 1
                case "data": message.data += value; fields += 1
                default: break
                }
            }
            return fields == 0 ? nil : message
        }
    }
}
