import Foundation
import OrderPayTestSupport
import XCTest

/// Requests the gateway refuses itself, at once and as problem+json: methods no service
/// implements, and bodies declared larger than the limit (without inviting the upload first).
final class GatewayRefusalTests: XCTestCase {
    func testUnknownMethodsAre501OthersNoRouteAllows405AndOneMetricsLabel() async throws {
        try await GatewayTestCluster.with { c in
            let token = try await c.token(c.customer)
            let port = try XCTUnwrap(URL(string: c.gatewayURL)?.port)
            let odd = try await RawSocketClient.exchange(port: port, [
                "FOO /api/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n\r\n"])
            XCTAssertTrue(odd.text.hasPrefix("HTTP/1.1 501 Not Implemented\r\n"), odd.text)
            XCTAssertTrue(odd.text.contains("application/problem+json"), odd.text)
            XCTAssertTrue(odd.text.contains("method FOO is not supported"), odd.text)

            // CONNECT's answer from a service had no length, so the client waited for a body that
            // never ended: now a whole answer, with its length. A method HTTP defines is one no
            // route allows (405, as a service answers TRACE), not one nobody implements (a 5xx).
            let connect = try await RawSocketClient.exchange(port: port, [
                "CONNECT /api/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n\r\n"])
            XCTAssertTrue(connect.text.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"), connect.text)
            XCTAssertTrue(connect.text.contains("\r\nAllow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n"), connect.text)
            let trace = try await RawSocketClient.exchange(port: port, [
                "TRACE /api/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n\r\n"])
            XCTAssertTrue(trace.text.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"), trace.text)
            XCTAssertTrue(trace.text.contains("TRACE is not allowed on"), trace.text)
            let query = try await RawSocketClient.exchange(port: port, [
                "QUERY /api/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n\r\n"])
            XCTAssertTrue(query.text.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"), query.text)
            let parts = connect.text.components(separatedBy: "\r\n\r\n")
            let length = parts.first?.components(separatedBy: "\r\n").first { $0.hasPrefix("Content-Length: ") }.flatMap { Int($0.dropFirst(16)) }
            XCTAssertEqual(length, parts.dropFirst().joined(separator: "\r\n\r\n").utf8.count, connect.text)

            // Whatever a client calls its method, the metrics gain one label, not a series each.
            for index in 0..<3 {
                _ = try await RawSocketClient.exchange(port: port, ["M\(index)\(String(repeating: "X", count: 500)) /zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"])
            }
            let metrics = try await c.call(.GET, "/metrics").text
            XCTAssertFalse(metrics.contains("XXXX"), "a client's method name became a label")
            XCTAssertTrue(metrics.contains(#"method="other""#), metrics)
        }
    }

    func testABodyDeclaredTooLargeIsRefusedBeforeItIsSent() async throws {
        var options = GatewayTestCluster.Options()
        options.services = [.auth]
        try await GatewayTestCluster.with(options) { c in
            let port = try XCTUnwrap(URL(string: c.gatewayURL)?.port)
            let head = "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 20000000\r\n"
            // Asked first: refused without a 100 Continue inviting 20 MB.
            let asked = try await RawSocketClient.exchange(port: port, [head + "Expect: 100-continue\r\n\r\n"], readTimeout: 5)
            XCTAssertTrue(asked.text.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"), asked.text)
            XCTAssertFalse(asked.text.contains("100 Continue"), asked.text)
            XCTAssertTrue(asked.text.contains("application/problem+json"), asked.text)
            XCTAssertTrue(asked.closedByServer, "answered at once, not after waiting for the body")

            // Already uploading: the answer still reaches the client (the connection is not reset
            // under it), and the gateway reads and drops the rest until the client closes.
            let megabyte = String(repeating: "x", count: 1 << 20)
            let uploading = try await RawSocketClient.exchange(port: port, [head + "\r\n" + megabyte], stall: .milliseconds(300), readTimeout: 10)
            XCTAssertTrue(uploading.text.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"), uploading.text.prefix(300).description)
            XCTAssertTrue(uploading.text.contains("larger than 10485760 bytes"), uploading.text.prefix(600).description)
            XCTAssertTrue(uploading.closedByServer)
            XCTAssertFalse(uploading.reset, "closed in order after the client's last bytes, not reset under them")

            // A chunked body is refused once it passes the limit, not at its end (which a client
            // could put off for as long as it kept sending).
            let chunk = String(6 << 20, radix: 16) + "\r\n" + String(repeating: "y", count: 6 << 20) + "\r\n"
            let chunked = try await RawSocketClient.exchange(port: port, [
                "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk, chunk],
                stall: .milliseconds(300), readTimeout: 10)
            XCTAssertTrue(chunked.text.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"), chunked.text.prefix(300).description)
            XCTAssertTrue(chunked.closedByServer, "no end of the body was waited for")

            // The gateway is still there for everyone else.
            try await c.call(.GET, "/health").expect(200)
        }
    }

    /// Sent straight to a service or the registry (not through the gateway), a request that does
    /// not parse still gets a problem document saying what is wrong; it was a bare, empty 400.
    func testARequestThatDoesNotParseGetsAProblemFromServicesAndTheRegistry() async throws {
        var options = GatewayTestCluster.Options()
        options.services = [.orders]
        try await GatewayTestCluster.with(options) { c in
            let service = c.services[0].server.port
            let registry = try XCTUnwrap(URL(string: c.registryURL)?.port)
            for port in [service, registry] {
                let method = try await RawSocketClient.exchange(port: port, ["FOO / HTTP/1.1\r\nHost: x\r\n\r\n"])
                XCTAssertTrue(method.text.hasPrefix("HTTP/1.1 501 Not Implemented\r\n"), method.text)
                XCTAssertTrue(method.text.contains("Content-Type: application/problem+json\r\n"), method.text)
                XCTAssertTrue(method.text.contains(#""type":"urn:orderpay:problem:not-implemented""#), method.text)
                XCTAssertTrue(method.closedByServer)

                let header = try await RawSocketClient.exchange(port: port, ["GET /health HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n"])
                XCTAssertTrue(header.text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), header.text)
                XCTAssertTrue(header.text.contains("characters HTTP does not allow"), header.text)
                let parts = header.text.components(separatedBy: "\r\n\r\n")
                let length = parts[0].components(separatedBy: "\r\n").first { $0.hasPrefix("Content-Length: ") }.flatMap { Int($0.dropFirst(16)) }
                XCTAssertEqual(length, parts.dropFirst().joined(separator: "\r\n\r\n").utf8.count, header.text)

                let huge = try await RawSocketClient.exchange(port: port, ["GET /health HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 90_000))\r\n\r\n"])
                XCTAssertTrue(huge.text.hasPrefix("HTTP/1.1 431 "), huge.text)
                XCTAssertTrue(huge.text.contains("header-fields-too-large"), huge.text)

                // After a good request on the same connection, its answer comes first, whole.
                let pipelined = try await RawSocketClient.exchange(port: port, ["GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/9.9\r\n\r\n"])
                XCTAssertTrue(pipelined.text.hasPrefix("HTTP/1.1 200 OK\r\n"), pipelined.text)
                XCTAssertTrue(pipelined.text.contains("HTTP/1.1 400 Bad Request\r\n"), pipelined.text)
                XCTAssertTrue(pipelined.text.contains("HTTP version is not valid"), pipelined.text)
            }
        }
    }

    /// HTTP/1 rules the services' server keeps: a connection the client does not keep is closed
    /// after its response (an HTTP/1.0 client reading to the end waited out the idle timeout), a
    /// body coding besides chunked is 501 (it was a 413 "too large" for an empty body), and a
    /// second Host is 400.
    func testServicesCloseWhatClientsDoNotKeepAndRefuseAmbiguousRequests() async throws {
        try await GatewayTestCluster.with { c in
            let port = c.host(.orders).server.port
            _ = try await c.placeOrder(token: try await c.token(c.customer))
            for (request, version) in [("GET /health HTTP/1.0\r\n\r\n", "1.0"), ("GET /health HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n", "1.1")] {
                // Well inside the services' 60 s idle timeout: closed by the answer, not by it.
                let answer = try await RawSocketClient.exchange(port: port, [request], readTimeout: 5)
                XCTAssertTrue(answer.text.hasPrefix("HTTP/\(version) 200 OK\r\n"), answer.text)
                XCTAssertTrue(answer.text.contains("Connection: close\r\n"), answer.text)
                XCTAssertTrue(answer.closedByServer, "still open after answering: \(request)")
            }
            // HTTP/1.0 is answered as HTTP/1.0: a kept connection says so, and a body without a
            // length (an event stream) is not chunked but ended by the close.
            let kept = try await RawSocketClient.exchange(port: port, ["GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"], readTimeout: 2)
            XCTAssertTrue(kept.text.hasPrefix("HTTP/1.0 200 OK\r\n"), kept.text)
            XCTAssertTrue(kept.text.contains("Connection: keep-alive\r\n"), kept.text)
            XCTAssertFalse(kept.closedByServer, "an HTTP/1.0 client asking for keep-alive was closed")
            let admin = try await c.token(c.admin)
            let stream = try await RawSocketClient.exchange(port: port, [
                "GET /api/events/stream?from=0 HTTP/1.0\r\nConnection: keep-alive\r\nAuthorization: Bearer \(admin)\r\n\r\n"], readTimeout: 2)
            XCTAssertTrue(stream.text.hasPrefix("HTTP/1.0 200 OK\r\n"), stream.text)
            XCTAssertTrue(stream.text.contains("Connection: close\r\n"), stream.text)
            XCTAssertFalse(stream.text.lowercased().contains("transfer-encoding"), stream.text)
            XCTAssertTrue(stream.text.contains("event: order-created"), stream.text.prefix(600).description)

            // Transfer codings as the gateway takes them.
            for (codings, status, detail) in [("gzip", "400 Bad Request", "does not end in chunked"),
                                              ("gzip, chunked", "501 Not Implemented", "may only be chunked")] {
                let refused = try await RawSocketClient.exchange(port: port, [
                    "POST /api/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \(codings)\r\n\r\n0\r\n\r\n"], readTimeout: 5)
                XCTAssertTrue(refused.text.hasPrefix("HTTP/1.1 \(status)\r\n"), refused.text)
                XCTAssertTrue(refused.text.contains(detail), refused.text)
                XCTAssertEqual(refused.text.components(separatedBy: "HTTP/1.1 ").count, 2, "answered twice: \(refused.text)")
                XCTAssertTrue(refused.closedByServer)
            }

            // After a good pipelined request: its answer whole, then the refusal, then the end.
            let twoHosts = try await RawSocketClient.exchange(port: port, [
                "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"], readTimeout: 5)
            XCTAssertTrue(twoHosts.text.hasPrefix("HTTP/1.1 200 OK\r\n"), twoHosts.text)
            let refusal = try XCTUnwrap(twoHosts.text.range(of: "HTTP/1.1 400 Bad Request\r\n"), twoHosts.text)
            XCTAssertTrue(twoHosts.text[refusal.upperBound...].contains("more than one Host header"), twoHosts.text)
            XCTAssertTrue(twoHosts.closedByServer)

            // As the gateway refuses them: an HTTP/1.1 request without Host (RFC 9112 §3.2; it was
            // 200), and a request target that is not a path (`*` is OPTIONS's only; NIO's parser
            // already refuses `health` as no URL).
            for (request, details) in [("GET /health HTTP/1.1\r\n\r\n", ["an HTTP/1.1 request needs a Host header"]),
                                       ("GET health HTTP/1.1\r\nHost: x\r\n\r\n", ["request target must be a path starting with", "request-target is not a valid URL"]),
                                       ("GET * HTTP/1.1\r\nHost: x\r\n\r\n", ["request target must be a path starting with", "request-target is not a valid URL"])] {
                let refused = try await RawSocketClient.exchange(port: port, [request], readTimeout: 5)
                XCTAssertTrue(refused.text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), refused.text)
                XCTAssertTrue(refused.text.contains("application/problem+json"), refused.text)
                XCTAssertTrue(details.contains { refused.text.contains($0) }, refused.text)
                XCTAssertTrue(refused.closedByServer)
            }
            // HTTP/1.0 had no Host header: it is still answered without one.
            let old = try await RawSocketClient.exchange(port: port, ["GET /health HTTP/1.0\r\n\r\n"], readTimeout: 5)
            XCTAssertTrue(old.text.hasPrefix("HTTP/1.0 200 OK\r\n"), old.text)
        }
    }
}
