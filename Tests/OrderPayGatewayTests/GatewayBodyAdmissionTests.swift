import Foundation
import NIOCore
import OrderPayServer
import OrderPayTestSupport
import XCTest

/// A request is decided on from its head: one the gateway refuses is answered before its body is
/// read (and without a 100 Continue inviting it), bodies held at once are capped, and a body must
/// arrive whole in time. Unauthenticated clients declaring 10 MiB bodies and sending all but the
/// last byte made the gateway hold a gigabyte.
final class GatewayBodyAdmissionTests: XCTestCase {
    private static let megabytes = 10 << 20

    private func portOf(_ c: GatewayTestCluster, _ gateway: RunningGateway? = nil) throws -> Int {
        try XCTUnwrap(URL(string: (gateway ?? c.gateway).baseURL)?.port)
    }

    /// Refused at once, its body not waited for: with the answer, the gateway closes.
    private func assertRefusedAtOnce(_ outcome: RawSocketClient.Outcome, _ status: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(outcome.text.hasPrefix("HTTP/1.1 \(status)\r\n"), outcome.text, file: file, line: line)
        XCTAssertTrue(outcome.text.contains("application/problem+json"), outcome.text, file: file, line: line)
        XCTAssertFalse(outcome.text.contains("100 Continue"), outcome.text, file: file, line: line)
        XCTAssertTrue(outcome.closedByServer, "the body was waited for", file: file, line: line)
    }

    func testRefusalsThatNeedNoBodyComeBeforeItAndOnlyAdmittedRequestsGet100Continue() async throws {
        try await GatewayTestCluster.with { c in
            let port = try portOf(c)
            let head = "Host: x\r\nContent-Type: application/json\r\nContent-Length: \(Self.megabytes)\r\n"
            let started = "{\"items\":[" + String(repeating: " ", count: 1000)
            // No token, a token never seen that is no token at all, no route: all with the body
            // barely begun, and the client waiting (the read times out after 4 s).
            for (request, status) in [("POST /api/orders HTTP/1.1\r\n" + head + "\r\n", "401 Unauthorized"),
                                      ("POST /api/orders HTTP/1.1\r\nAuthorization: Bearer not.a.token\r\n" + head + "\r\n", "401 Unauthorized"),
                                      ("POST /api/nothing-here HTTP/1.1\r\n" + head + "\r\n", "404 Not Found")] {
                assertRefusedAtOnce(try await RawSocketClient.exchange(port: port, [request + started], readTimeout: 4), status)
                // Asked first: the final status, no 100 Continue.
                let asked = request.replacingOccurrences(of: "\r\n\r\n", with: "\r\nExpect: 100-continue\r\n\r\n")
                assertRefusedAtOnce(try await RawSocketClient.exchange(port: port, [asked], readTimeout: 4), status)
            }

            // Rate limited: refused before the body too.
            let limited = try await c.startGateway(rateLimit: 0.01, burst: 1)
            _ = try await RawSocketClient.exchange(port: try portOf(c, limited), ["GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"])
            assertRefusedAtOnce(try await RawSocketClient.exchange(port: try portOf(c, limited), [
                "POST /api/auth/login HTTP/1.1\r\n" + head + "\r\n" + started], readTimeout: 4), "429 Too Many Requests")

            // A request that will be served is asked for its body: for a token checked for the
            // first time, once it has been checked; then the body is read and forwarded.
            let token = try await c.token(c.customer)
            let body = #"{"items":[{"productId":\#(c.keyboard.id),"quantity":1}],"shippingAddress":"1 Main St","paymentMethod":"CREDIT_CARD","paymentToken":"tok_visa"}"#
            let invited = "POST /api/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
            let answer = try await RawSocketClient.exchange(port: port, [invited, body], pause: .milliseconds(500), readTimeout: 10)
            XCTAssertTrue(answer.text.hasPrefix("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n"), answer.text)
        }
    }

    /// Bodies held at once on an event loop are capped: past the cap, 503 with Retry-After before
    /// anything of the body is read; the room comes back when the requests end.
    func testBodiesHeldAtOnceAreCapped() async throws {
        try await GatewayTestCluster.with { c in
            let gateway = try await c.startGateway(maxBufferedBodyBytesPerLoop: 1 << 20)
            let port = try portOf(c, gateway)
            let token = try await c.token(c.customer)
            let request = "POST /api/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(600 << 10)\r\n\r\n{\"items\":["
            // More uploads of 600 KB than there are event loops: two share a loop, and one of those is refused.
            let outcomes = try await withThrowingTaskGroup(of: RawSocketClient.Outcome.self) { group in
                for _ in 0...System.coreCount { group.addTask { try await RawSocketClient.exchange(port: port, [request], readTimeout: 3) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let refused = outcomes.filter { $0.text.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n") }
            XCTAssertFalse(refused.isEmpty, outcomes.map(\.text).description)
            for outcome in refused {
                XCTAssertTrue(outcome.text.contains("Retry-After: 1\r\n"), outcome.text)
                XCTAssertTrue(outcome.closedByServer)
            }
            // The uploads that were let in and then abandoned gave their room back.
            try await Task.sleep(for: .milliseconds(300))
            for _ in 0...System.coreCount {
                let placed = try await RawSocketClient.exchange(port: port, [
                    request.replacingOccurrences(of: "Content-Length: \(600 << 10)", with: "Content-Length: \(600 << 10)\r\nConnection: close")
                    + String(repeating: " ", count: (600 << 10) - 10)], readTimeout: 5)
                XCTAssertFalse(placed.text.hasPrefix("HTTP/1.1 503"), placed.text)
            }
        }
    }

    /// Each piece of a body restarted the client timeout, so a body trickled slowly enough never
    /// ended; now the whole body has its own deadline.
    func testABodyTrickledPastItsDeadlineIs408() async throws {
        try await GatewayTestCluster.with { c in
            let gateway = try await c.startGateway(bodyTimeout: .seconds(1))
            let head = "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            let pieces = [head] + Array(repeating: " ", count: 12)
            let started = ContinuousClock.now
            let trickled = try await RawSocketClient.exchange(port: try portOf(c, gateway), pieces, pause: .milliseconds(250), readTimeout: 10)
            XCTAssertTrue(trickled.text.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"), trickled.text)
            XCTAssertTrue(trickled.text.contains("did not arrive whole within 1 s"), trickled.text)
            XCTAssertLessThan(ContinuousClock.now - started, .seconds(6))
        }
    }
}
