import Foundation
import NIOConcurrencyHelpers
import OrderPayGateway
import OrderPayTestSupport
import XCTest

/// What a service answers that the gateway must not relay as it is: a protocol switch it never
/// asked for, an oversized head, an invalid status, garbage (502, saying which), and headers the
/// Connection header marks as hop-by-hop, in either direction.
final class GatewayUpstreamAnswerTests: XCTestCase {
    /// A gateway whose only ORDER-SERVICE instance is `upstream`, and a customer's token.
    private func withScripted(_ answer: @escaping @Sendable (String) -> String,
                              _ body: (GatewayTestCluster, ScriptedUpstream, Int, String) async throws -> Void) async throws {
        var options = GatewayTestCluster.Options()
        options.services = [.auth]
        try await GatewayTestCluster.with(options) { c in
            let upstream = try await ScriptedUpstream.start(answer)
            try await EurekaClient(baseURL: c.registryURL).register(app: "ORDER-SERVICE", instanceId: "scripted",
                                                                     host: "127.0.0.1", port: upstream.port)
            try await c.refreshGateway()
            let token = try await c.token(c.customer)
            let port = try XCTUnwrap(URL(string: c.gatewayURL)?.port)
            do {
                try await body(c, upstream, port, token)
            } catch {
                await upstream.stop()
                throw error
            }
            await upstream.stop()
        }
    }

    private static func get(_ token: String, extra: String = "") -> String {
        "GET /api/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n\(extra)Connection: close\r\n\r\n"
    }

    func testASwitchOfProtocolsIsA502() async throws {
        try await withScripted({ _ in "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nraw bytes" }) { _, _, port, token in
            let answer = try await RawSocketClient.exchange(port: port, [Self.get(token, extra: "Upgrade: websocket\r\n")], readTimeout: 5)
            XCTAssertTrue(answer.text.hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"), answer.text)
            XCTAssertTrue(answer.text.contains("101 Switching Protocols"), answer.text)
            XCTAssertFalse(answer.text.contains("raw bytes"), answer.text)
        }
    }

    func testAnOversizedResponseHeadIsA502EveryTime() async throws {
        let big = String(repeating: "a", count: 100_000)
        try await withScripted({ _ in "HTTP/1.1 200 OK\r\nX-Big: \(big)\r\nContent-Length: 2\r\n\r\nok" }) { _, _, port, token in
            for _ in 0..<4 {
                let answer = try await RawSocketClient.exchange(port: port, [Self.get(token)], readTimeout: 5)
                XCTAssertTrue(answer.text.hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"), answer.text.prefix(200).description)
                XCTAssertTrue(answer.text.contains("a response head over 64 KB"), answer.text.prefix(600).description)
                XCTAssertFalse(answer.text.contains("dropped the connection"), answer.text.prefix(600).description)
            }
        }
    }

    func testAnInvalidStatusOrGarbageIsA502SayingSo() async throws {
        let answers = NIOLockedValueBox(["HTTP/1.1 000 Zero\r\nContent-Length: 2\r\n\r\nok", "NOT HTTP AT ALL\r\n\r\n"])
        try await withScripted({ _ in answers.withLockedValue { $0.removeFirst() } }) { _, _, port, token in
            let zero = try await RawSocketClient.exchange(port: port, [Self.get(token)], readTimeout: 5)
            XCTAssertTrue(zero.text.hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"), zero.text)
            XCTAssertTrue(zero.text.contains("an invalid status code 000"), zero.text)
            XCTAssertTrue(zero.closedByServer, "answered at once, not left waiting for a final status")
            let garbage = try await RawSocketClient.exchange(port: port, [Self.get(token)], readTimeout: 5)
            XCTAssertTrue(garbage.text.hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"), garbage.text)
            XCTAssertTrue(garbage.text.contains("not well-formed HTTP"), garbage.text)
            XCTAssertFalse(garbage.text.contains("dropped the connection"), garbage.text)
        }
    }

    /// RFC 9110 §7.6.1: the headers a Connection header names belong to that hop and go no further.
    func testHeadersNamedInConnectionAreNotForwardedEitherWay() async throws {
        let response = "HTTP/1.1 200 OK\r\nX-Secret: s\r\nX-Public: p\r\nConnection: keep-alive, X-Secret\r\nContent-Length: 2\r\n\r\nok"
        try await withScripted({ _ in response }) { _, upstream, port, token in
            let answer = try await RawSocketClient.exchange(port: port, [
                "GET /api/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nX-Hop: h\r\nX-Kept: k\r\n"
                + "Connection: keep-alive, X-Hop\r\n\r\n"], readTimeout: 2)
            XCTAssertTrue(answer.text.hasPrefix("HTTP/1.1 200 OK\r\n"), answer.text)
            XCTAssertTrue(answer.text.contains("X-Public: p\r\n"), answer.text)
            XCTAssertFalse(answer.text.lowercased().contains("x-secret"), answer.text)
            XCTAssertTrue(upstream.received.contains("X-Kept: k\r\n"), upstream.received)
            XCTAssertFalse(upstream.received.lowercased().contains("x-hop"), upstream.received)
        }
    }
}
