import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOPosix
import OrderPayGateway
import OrderPayServer
import OrderPayTestSupport
import XCTest

/// How a stopping gateway ends the event streams it relays, against a scripted service that
/// writes the stream as each test says: after the event in progress, properly; cut when the
/// grace period ends inside an event; never cut short when the stream has a Content-Length.
final class GatewayStreamStopTests: XCTestCase {
    private static let first = "id: 1\nevent: order-created\ndata: {\"orderId\":1}\n\n"

    /// One stream through a gateway of its own, to a scripted upstream that has sent `opening`.
    private struct Relay {
        let cluster: GatewayTestCluster
        let gateway: RunningGateway
        let upstream: EventStreamUpstream
        let log: CapturedLog
        var body: HTTPClientResponse.Body.AsyncIterator
        var text = ""

        /// Reads until the text so far ends with `suffix`.
        mutating func read(until suffix: String) async throws {
            while !text.hasSuffix(suffix), let part = try await body.next() { text += String(buffer: part) }
        }

        /// Reads to the end: nil when the stream ended properly, else the error that cut it.
        mutating func readToEnd() async -> Error? {
            do {
                while let part = try await body.next() { text += String(buffer: part) }
                return nil
            } catch {
                return error
            }
        }

        /// Starts the gateway's stop and returns once it has stopped listening (its next step is
        /// telling the open connections).
        func stop(grace: Duration) async throws -> Task<Void, Never> {
            let stopped = Task { [cluster, gateway] in await cluster.stopGateway(gateway, grace: grace) }
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                guard let probe = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connect(host: "127.0.0.1", port: gateway.port).get() else { break }
                try? await probe.close()
                try await Task.sleep(for: .milliseconds(10))
            }
            try await Task.sleep(for: .milliseconds(50))
            return stopped
        }

        var accessLines: [String] { log.messages.map(\.message).filter { $0.hasPrefix("GET /api/events/stream") } }
    }

    private func withRelay(opening: String, contentLength: Int? = nil, _ body: (inout Relay) async throws -> Void) async throws {
        var options = GatewayTestCluster.Options()
        options.services = [.auth]
        try await GatewayTestCluster.with(options) { c in
            let admin = try await c.token(c.admin)
            let upstream = try await EventStreamUpstream.start(first: opening, contentLength: contentLength)
            defer { Task { await upstream.stop() } }
            try await EurekaClient(baseURL: c.registryURL).register(app: "ORDER-SERVICE", instanceId: "streamer",
                                                                     host: "127.0.0.1", port: upstream.port)
            let log = CapturedLog()
            let gateway = try await c.startGateway(logger: Logger(label: "gateway-access") { _ in log.handler })
            try await c.refreshGateway(gateway)
            var request = HTTPClientRequest(url: gateway.baseURL + "/api/events/stream")
            request.headers.add(name: "Authorization", value: "Bearer \(admin)")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            XCTAssertEqual(response.status.code, 200)
            var relay = Relay(cluster: c, gateway: gateway, upstream: upstream, log: log, body: response.body.makeAsyncIterator())
            try await body(&relay)
        }
    }

    /// Caught halfway through an event, the gateway relays the rest of it, then ends the stream
    /// with the chunked body's last chunk: the client sees a proper end after whole events.
    func testAStoppingGatewayEndsAStreamAfterTheEventInProgress() async throws {
        try await withRelay(opening: Self.first + "id: 2\nevent: order-cre") { relay in
            try await relay.read(until: "event: order-cre")
            let stopped = try await relay.stop(grace: .seconds(30))
            try await relay.upstream.send("ated\ndata: {\"orderId\":2}\n\nid: 3\nevent: order-created\n")
            let cut = await relay.readToEnd()
            XCTAssertNil(cut, "the stream was cut off")
            await stopped.value
            XCTAssertEqual(SSEEvent.parse(relay.text).map(\.id), ["1", "2"], relay.text)
            XCTAssertTrue(relay.text.hasSuffix("data: {\"orderId\":2}\n\n"), "the stream ends after the second event: \(relay.text)")
            XCTAssertEqual(relay.accessLines.count, 1, "\(relay.log.messages.map(\.message))")
            // The line names the client and the instance that answered.
            let line = try XCTUnwrap(relay.log.messages.first { $0.message.hasPrefix("GET /api/events/stream") })
            XCTAssertEqual(line.metadata["client"], "127.0.0.1")
            XCTAssertEqual(line.metadata["upstream"], "127.0.0.1:\(relay.upstream.port)")
        }
    }

    /// A stream that stays inside an event is cut when the grace period ends, and still gets
    /// its access-log line (with the status it had).
    func testAStreamStalledInsideAnEventIsCutWhenTheGraceEnds() async throws {
        try await withRelay(opening: Self.first + "id: 2\nevent: order-cre") { relay in
            try await relay.read(until: "event: order-cre")
            let stopped = try await relay.stop(grace: .milliseconds(500))
            let cut = await relay.readToEnd()
            XCTAssertNotNil(cut, "a stream cut inside an event must not look ended")
            await stopped.value
            XCTAssertEqual(SSEEvent.parse(relay.text).map(\.id), ["1"])
            XCTAssertEqual(relay.accessLines.count, 1, "\(relay.log.messages.map(\.message))")
            XCTAssertTrue(relay.accessLines.first?.hasSuffix(" 200") == true, relay.accessLines.first ?? "")
        }
    }

    /// A stream with a Content-Length cannot end early and still look whole: the gateway relays
    /// it to its length.
    func testAStreamWithAContentLengthIsRelayedToItsEnd() async throws {
        let second = "id: 2\nevent: order-created\ndata: {\"orderId\":2}\n\n"
        try await withRelay(opening: Self.first, contentLength: (Self.first + second).utf8.count) { relay in
            try await relay.read(until: Self.first)
            let stopped = try await relay.stop(grace: .seconds(30))
            try await relay.upstream.send(second)
            let cut = await relay.readToEnd()
            XCTAssertNil(cut, "the sized stream was cut short")
            await stopped.value
            XCTAssertEqual(SSEEvent.parse(relay.text).map(\.id), ["1", "2"], relay.text)
        }
    }
}
