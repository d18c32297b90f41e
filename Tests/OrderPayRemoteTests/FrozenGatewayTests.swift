import Foundation
import OrderPayConsole
import OrderPayCore
@testable import OrderPayRemote
import OrderPayTestSupport
import XCTest

/// A gateway that is frozen: connections accepted, nothing answered.
final class FrozenGatewayTests: XCTestCase {
    /// A gateway that accepts connections and never answers: the stream reports it (it used to
    /// reconnect silently every idle timeout, for ever, with no banner).
    func testAFrozenGatewayRaisesTheStreamBanner() async throws {
        try await withLiveSystem { system in
            let backend = try await system.backend()
            let frozen = try FrozenListener()
            defer { frozen.close() }
            var curl = CurlOptions()
            curl.idleTimeout = 1
            let transport = GatewayTransport(baseURL: "http://127.0.0.1:\(frozen.port)", client: CurlClient(options: curl), requestTimeout: 5)
            let stream = SSEStream(transport: transport, session: backend.session, initialBackoff: 0.1, maximumBackoff: 0.1)
            let statuses = Recorder<StreamStatus?>()
            let task = Task { await stream.run(initialQuery: { [] }, onEvents: { _ in }, onStatus: { statuses.append($0) }) }
            let first = try await eventually(timeout: .seconds(10), "a status reported") { statuses.all.compactMap { $0 }.first }
            task.cancel()
            await task.value
            XCTAssertTrue(first.text.contains("not answering"), first.text)
        }
    }

    /// A gateway frozen mid-stream (SIGSTOP: its connections stay open, new ones are accepted by
    /// the kernel, nothing is answered), with the default options: the banner says so after the
    /// stream's idle limit of 15 s (it was 45 s, and 45 s more to say "not answering"), and
    /// says "not answering" one limit later; a healthy stream beside it, quiet all that time,
    /// reports nothing, as its keep-alive comments come often enough.
    func testAFrozenGatewayShowsWithinFifteenSecondsAndAQuietHealthyOneDoesNot() async throws {
        try await withLiveSystem { system in
            let direct = try await system.backend()
            let order = try await direct.placeOrder(system.newOrder())
            _ = try await eventually("order PAID") { try await direct.orderDetail(id: order.id).order.status == .paid ? true : nil }

            let link = try TCPForwarder(to: "127.0.0.1", system.gateway.port)
            defer { link.stop() }
            let linked = try await RemoteBackend(gatewayURL: "http://127.0.0.1:\(link.port)", email: LiveSystem.adminEmail,
                                                 password: LiveSystem.adminPassword)
            let frozen = EventStreamTests.Consumer(linked, backlog: 1), healthy = EventStreamTests.Consumer(direct, backlog: 1)
            defer { frozen.task.cancel(); healthy.task.cancel() }
            // Both streams are open (their backlog came through them); the log stays quiet from here.
            _ = try await eventually("both backlogs") { frozen.events.all.isEmpty || healthy.events.all.isEmpty ? nil : true }
            link.freeze()
            defer { link.thaw() }

            let silent = try await eventually(timeout: .seconds(25), "the frozen stream reported") { frozen.statuses.all.compactMap { $0 }.first }
            XCTAssertEqual(silent, "event stream silent for 15s, reconnecting")
            let answering = try await eventually(timeout: .seconds(25), "the reconnection reported") {
                frozen.statuses.all.compactMap { $0 }.dropFirst().first
            }
            XCTAssertTrue(answering.hasPrefix("gateway not answering (connected, no response in 15s)"), answering)
            // Two idle limits have passed without an event: the healthy stream lived on keep-alives.
            XCTAssertEqual(healthy.statuses.all.compactMap { $0 }, [], "a quiet, healthy stream raised no alarm")
        }
    }
}

/// A TCP port that accepts connections (the kernel completes them into the backlog) and never
/// answers: a frozen gateway, as seen from a client.
final class FrozenListener: @unchecked Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } }
        guard bound == 0, listen(fd, 16) == 0 else { throw AppError(.internal, "cannot listen") }
        var length = size
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(fd) }
}
