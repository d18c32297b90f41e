import Foundation
import OrderPayConsole
import OrderPayCore
@testable import OrderPayRemote
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
