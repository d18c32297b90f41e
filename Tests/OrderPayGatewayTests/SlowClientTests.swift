import Foundation
import Logging
import NIOCore
import OrderPayGateway
import OrderPayServer
import OrderPayTestSupport
import XCTest

/// A client that sends a request too slowly, or holds a connection idle, loses the connection
/// after the client timeout, at the gateway and at every service, so slow or idle clients
/// (slowloris) cannot use up connections; a client that is merely slow within the timeout is
/// served.
final class SlowClientTests: XCTestCase {
    private static let health = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"

    func testTheGatewayClosesConnectionsWhoseClientIsTooSlow() async throws {
        var options = GatewayTestCluster.Options()
        options.services = [.auth]
        try await GatewayTestCluster.with(options) { c in
            let log = CapturedLog()
            let gateway = try await c.startGateway(clientTimeout: .seconds(1), logger: Logger(label: "gateway-access") { _ in log.handler })
            let port = gateway.port

            // A head that never ends: 408 as problem+json, then the connection closes.
            let partialHead = try await RawSocketClient.exchange(port: port, ["GET /health HTTP/1.1\r\nHost: x\r\n"])
            XCTAssertTrue(partialHead.closedByServer)
            XCTAssertTrue(partialHead.text.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"), partialHead.text)
            XCTAssertTrue(partialHead.text.contains("application/problem+json"), partialHead.text)
            XCTAssertTrue(partialHead.text.contains("did not arrive within 1 s"), partialHead.text)

            // A body that stops short of its Content-Length: 408 too, with its access-log line.
            let body = "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"email\":"
            let partialBody = try await RawSocketClient.exchange(port: port, [body])
            XCTAssertTrue(partialBody.closedByServer)
            XCTAssertTrue(partialBody.text.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"), partialBody.text)
            XCTAssertTrue(log.messages.contains { $0.message.hasPrefix("POST /api/auth/login 408") }, "\(log.messages.map(\.message))")

            // A request that cannot be read gets its line too, with no method or path to name.
            let smuggled = try await RawSocketClient.exchange(port: port, ["POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"])
            XCTAssertTrue(smuggled.text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), smuggled.text)
            XCTAssertTrue(log.messages.contains { $0.message == "- - 400" }, "\(log.messages.map(\.message))")

            // A connection that never sends anything, and one idle after its response: closed
            // without a word.
            let silent = try await RawSocketClient.exchange(port: port, [])
            XCTAssertTrue(silent.closedByServer)
            XCTAssertEqual(silent.text, "")
            let idle = try await RawSocketClient.exchange(port: port, [Self.health])
            XCTAssertTrue(idle.closedByServer)
            XCTAssertTrue(idle.text.hasPrefix("HTTP/1.1 200 OK"), idle.text)
            XCTAssertFalse(idle.text.contains("HTTP/1.1 408"), idle.text)   // not "408": random ids in the headers may hold it

            // Slow but within the timeout: served, piece by piece.
            let pieces = ["GET /health HTTP/1.1\r\n", "Host: x\r\n", "Connection: close\r\n\r\n"]
            let slow = try await RawSocketClient.exchange(port: port, pieces, pause: .milliseconds(300))
            XCTAssertTrue(slow.text.hasPrefix("HTTP/1.1 200 OK"), slow.text)
            // A body may take longer than the timeout in all, as long as each piece comes in time.
            let login = #"{"email":"\#(c.customer.email)","password":"\#(GatewayTestCluster.password)"}"#
            let head = "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
                + "Content-Length: \(login.utf8.count)\r\n\r\n"
            let thirds = [login.prefix(10), login.dropFirst(10).prefix(10), login.dropFirst(20)].map(String.init)
            let slowBody = try await RawSocketClient.exchange(port: port, [head] + thirds, pause: .milliseconds(450))
            XCTAssertTrue(slowBody.text.hasPrefix("HTTP/1.1 200 OK"), slowBody.text)

            // A client that stops reading a response is cut off, with the response's access-log
            // line: here an event stream that a scripted service keeps writing to.
            let admin = try await c.token(c.admin)
            let upstream = try await EventStreamUpstream.start(first: "id: 1\ndata: {}\n\n")
            try await EurekaClient(baseURL: c.registryURL).register(app: "ORDER-SERVICE", instanceId: "firehose",
                                                                     host: "127.0.0.1", port: upstream.port)
            try await c.refreshGateway(gateway)
            let event = "id: 2\ndata: " + String(repeating: "x", count: 64 << 10) + "\n\n"
            let firehose = Task {
                while upstream.streamCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
                // Until the gateway lets go of the stream (or 32 MB, far more than socket buffers hold).
                for _ in 0..<512 { try await upstream.send(event) }
            }
            let stream = "GET /api/events/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(admin)\r\n\r\n"
            let stalled = try await RawSocketClient.exchange(port: port, [stream], stall: .seconds(3), receiveBuffer: 4096)
            firehose.cancel()
            await upstream.stop()
            XCTAssertTrue(stalled.closedByServer, "the stalled client's connection was closed")
            XCTAssertTrue(stalled.text.hasPrefix("HTTP/1.1 200 OK"), String(stalled.text.prefix(200)))
            XCTAssertLessThan(stalled.text.utf8.count, 16 << 20)
            // The line says it was cut, not ended (it read like a stream that had finished).
            XCTAssertTrue(log.messages.contains { $0.message.hasPrefix("GET /api/events/stream 200 (cut off: the client took none") },
                          "\(log.messages.map(\.message))")
        }
    }

    /// The gateway sends a request on a pooled connection to a service only while the connection
    /// is fresh, so it never races the service's own idle timeout.
    func testTheGatewayRetiresUpstreamConnectionsIdleTooLong() async throws {
        var options = GatewayTestCluster.Options()
        options.services = [.auth]
        try await GatewayTestCluster.with(options) { c in
            let upstream = try await CountingUpstream.start()
            defer { Task { await upstream.stop() } }
            try await EurekaClient(baseURL: c.registryURL).register(app: "ORDER-SERVICE", instanceId: "counter",
                                                                     host: "127.0.0.1", port: upstream.port)
            let gateway = try await c.startGateway(upstreamIdleReuse: .milliseconds(500))
            try await c.refreshGateway(gateway)
            let token = try await c.token(c.customer)
            for _ in 0..<3 {
                let reply = try await c.call(.GET, "/api/products", token: token, on: gateway.baseURL)
                XCTAssertEqual(reply.status, 200, reply.text)
            }
            XCTAssertEqual(upstream.connections, 1, "back to back, one connection is reused")
            try await Task.sleep(for: .milliseconds(800))
            let later = try await c.call(.GET, "/api/products", token: token, on: gateway.baseURL)
            XCTAssertEqual(later.status, 200, later.text)
            XCTAssertEqual(upstream.connections, 2, "after the reuse window, a new connection")
        }
    }

    func testServicesCloseConnectionsWhoseClientIsTooSlow() async throws {
        do {
            var options = RegistryHost.Options(dataDirectory: try temporaryDirectory("slow-client").path)
            options.port = 0
            options.idleTimeout = .seconds(1)
            let (server, eviction) = try await RegistryHost.start(options, logger: Logger(label: "registry-test"))
            defer { eviction.cancel() }

            let partialHead = try await RawSocketClient.exchange(port: server.port, ["GET /health HTTP/1.1\r\nHost: x\r\n"])
            XCTAssertTrue(partialHead.closedByServer)
            XCTAssertEqual(partialHead.text, "")
            let idle = try await RawSocketClient.exchange(port: server.port, [Self.health])
            XCTAssertTrue(idle.closedByServer)
            XCTAssertTrue(idle.text.hasPrefix("HTTP/1.1 200 OK"), idle.text)

            let pieces = ["GET /health HTTP/1.1\r\n", "Host: x\r\n", "Connection: close\r\n\r\n"]
            let slow = try await RawSocketClient.exchange(port: server.port, pieces, pause: .milliseconds(300))
            XCTAssertTrue(slow.text.hasPrefix("HTTP/1.1 200 OK"), slow.text)
            await server.stop()
        }
    }
}
