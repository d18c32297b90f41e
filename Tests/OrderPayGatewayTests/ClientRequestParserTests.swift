import Foundation
import NIOCore
import NIOHTTP1
@testable import OrderPayGateway
import OrderPayTestSupport
import XCTest

/// The gateway reads client requests with its own parser (ClientRequestParser): heads, both body
/// framings, pipelined requests, input split at any byte, and the refusals that keep requests
/// from being smuggled. Then the same on a real gateway over a raw socket.
final class ClientRequestParserTests: XCTestCase {
    private struct Request {
        var head: HTTPRequestHead
        var body = ""
    }

    /// Every request in `text`, fed `step` bytes at a time.
    private func parse(_ text: String, step: Int = .max) throws -> [Request] {
        var parser = ClientRequestParser()
        var requests: [Request] = []
        var pending = ByteBuffer()
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + min(step, bytes.count))
            pending.writeBytes(bytes[offset..<end])
            offset = end
            while let part = try parser.next(&pending) {
                switch part {
                case .head(let head): requests.append(Request(head: head))
                case .body(let chunk): requests[requests.count - 1].body += String(buffer: chunk)
                case .end: break
                }
            }
        }
        return requests
    }

    func testPipelinedRequestsWithBothFramingsInAnyPieces() throws {
        let text = "GET /api/orders/1?x=1 HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer t\r\n\r\n"
            + "POST /api/auth/login HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello\r\n"
            + "PUT /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n3;e=1\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n"
        for step in [1, 2, 7, Int.max] {
            let requests = try parse(text, step: step)
            XCTAssertEqual(requests.count, 3)
            XCTAssertEqual(requests[0].head.method, .GET)
            XCTAssertEqual(requests[0].head.uri, "/api/orders/1?x=1")
            XCTAssertEqual(requests[0].head.headers.first(name: "authorization"), "Bearer t")
            XCTAssertTrue(requests[0].head.isKeepAlive)
            XCTAssertEqual(requests[1].head.method, .POST)
            XCTAssertEqual(requests[1].body, "hello")
            XCTAssertEqual(requests[2].head.version, .http1_0)
            XCTAssertTrue(requests[2].head.isKeepAlive)
            XCTAssertEqual(requests[2].body, "abcde")
        }
    }

    func testRefusesWhatCouldBeMisread() {
        for text in [
            "GET / HTTP/1.1\nHost: a\n\n",                                       // bare LF
            "GET / HTTP/2.0\r\n\r\n",
            "GET /a b HTTP/1.1\r\n\r\n",
            "G(T / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
            "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",                             // line folding
            "GET / HTTP/1.1\r\nA: b\u{1}c\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "GET / Http/1.1\r\nHost: a\r\n\r\n",                                   // the version is case-sensitive
            "GET / HTTP/1.1\r\n\r\n",                                               // no Host
            "GET health HTTP/1.1\r\nHost: a\r\n\r\n",                             // not origin-form
            "GET * HTTP/1.1\r\nHost: a\r\n\r\n",                                  // asterisk-form is OPTIONS's only
            "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n",                            // two
            "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n",
            "GET / HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: 90 << 10) + "\r\n\r\n",   // over 80 KB, whole
            "GET / HTTP/1.1\r\n" + String(repeating: "X-A: 1\r\n", count: 257) + "\r\n",                  // 257 header lines
        ] {
            XCTAssertThrowsError(try parse(text), text.debugDescription)
        }
    }

    /// A request-target in absolute form, as clients speaking to a proxy send it, is routed by
    /// its path; a body coding besides chunked is refused for what it is.
    func testAbsoluteFormTargetsAndOtherTransferCodings() throws {
        let absolute = try parse("GET http://example.com:8000/api/orders/1?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"
            + "GET HTTPS://example.com HTTP/1.1\r\nHost: a\r\n\r\nGET http://example.com?q=1 HTTP/1.1\r\nHost: a\r\n\r\n"
            + "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(absolute.map(\.head.uri), ["/api/orders/1?x=1", "/", "/?q=1", "*"])
        XCTAssertThrowsError(try parse("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")) { error in
            XCTAssertTrue(error is UnsupportedTransferCoding, "\(error)")
        }
        XCTAssertThrowsError(try parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n")) { error in
            XCTAssertTrue(error is MalformedHTTP, "\(error)")
        }
    }

    func testPipelinedChunkedAndMalformedRequestsOnARealGateway() async throws {
        try await GatewayTestCluster.with { c in
            let token = try await c.token(c.customer)
            let order = try await c.placeOrder(token: token)
            let port = try XCTUnwrap(URL(string: c.gatewayURL)?.port)

            // Two pipelined GETs in one write, the second closing: both answered, in order.
            let get = "GET /api/orders/\(order.id) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n"
            let pipelined = try await Self.exchange(port, get + "X-Request-Id: first\r\n\r\n" + get + "X-Request-Id: second\r\nConnection: close\r\n\r\n")
            let first = try XCTUnwrap(pipelined.range(of: "X-Request-Id: first")), second = try XCTUnwrap(pipelined.range(of: "X-Request-Id: second"))
            XCTAssertLessThan(first.lowerBound, second.lowerBound)
            XCTAssertEqual(pipelined.components(separatedBy: "HTTP/1.1 200 OK").count, 3, pipelined)

            // A chunked body is collected and forwarded with its length.
            let login = #"{"email":"\#(c.customer.email)","password":"\#(GatewayTestCluster.password)"}"#
            let (a, b) = (login.prefix(10), login.dropFirst(10))
            let chunked = try await Self.exchange(port, "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + "\(String(a.utf8.count, radix: 16))\r\n\(a)\r\n\(String(b.utf8.count, radix: 16))\r\n\(b)\r\n0\r\n\r\n")
            XCTAssertTrue(chunked.hasPrefix("HTTP/1.1 200 OK"), chunked)
            XCTAssertTrue(chunked.contains("accessToken"), chunked)

            let refused = try await Self.exchange(port, "GET /health HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
            XCTAssertTrue(refused.hasPrefix("HTTP/1.1 400 Bad Request"), refused)
            XCTAssertTrue(refused.contains("Content-Type: application/problem+json"), refused)
            XCTAssertTrue(refused.contains("not well-formed HTTP ("), refused)

            // What the services refuse is refused here, saying why, not forwarded for a bare 400.
            for (request, detail) in [("GET /health HTTP/1.1\r\n\r\n", "needs a Host header"),
                                      ("GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "more than one Host header"),
                                      ("GET /health Http/1.1\r\nHost: a\r\n\r\n", "must be HTTP"),
                                      ("GET health HTTP/1.1\r\nHost: a\r\n\r\n", "request target must be a path starting with")] {
                let answer = try await Self.exchange(port, request)
                XCTAssertTrue(answer.hasPrefix("HTTP/1.1 400 Bad Request"), answer)
                XCTAssertTrue(answer.contains("Content-Type: application/problem+json"), answer)
                XCTAssertTrue(answer.contains(detail), answer)
            }

            let gzipped = try await Self.exchange(port, "POST /api/auth/login HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")
            XCTAssertTrue(gzipped.hasPrefix("HTTP/1.1 501 Not Implemented"), gzipped)
            XCTAssertTrue(gzipped.contains("may only be chunked"), gzipped)

            // HEAD wherever GET is, through the gateway to a service: the GET's head, no body.
            let head = try await Self.exchange(port, "HEAD /api/orders/\(order.id) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n"
                + "Connection: close\r\n\r\n")
            XCTAssertTrue(head.hasPrefix("HTTP/1.1 200 OK"), head)
            XCTAssertTrue(head.contains("Content-Length: "), head)
            XCTAssertTrue(head.hasSuffix("\r\n\r\n"), "no body after the head: \(head)")
            let absolute = try await Self.exchange(port, "GET http://elsewhere.example/api/orders/\(order.id) HTTP/1.1\r\nHost: elsewhere.example\r\n"
                + "Authorization: Bearer \(token)\r\nConnection: close\r\n\r\n")
            XCTAssertTrue(absolute.hasPrefix("HTTP/1.1 200 OK"), absolute)
            XCTAssertTrue(absolute.contains(order.orderNumber), absolute)
        }
    }

    /// Writes `request` to the gateway and reads until the connection closes.
    private static func exchange(_ port: Int, _ request: String) async throws -> String {
        try await RawSocketClient.exchange(port: port, [request]).text
    }
}
