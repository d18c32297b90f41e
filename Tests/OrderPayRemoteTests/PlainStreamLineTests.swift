import Foundation
import OrderPayConsole
import OrderPayCore
import OrderPayRemote
import XCTest

/// What `--plain` prints when the live stream meets trouble.
final class PlainStreamLineTests: XCTestCase {
    /// The order service (which serves the stream behind the gateway) goes away: the line says
    /// what the banner would, as text. It printed the value's debug form,
    /// `Connection: StreamStatus(text: "…", refusal: nil)`.
    func testAStreamTroubleLineIsTheStatusText() async throws {
        try await withLiveSystem { system in
            var options = RemoteBackend.Options()
            options.streamInitialBackoff = 0.1
            options.streamMaximumBackoff = 0.1
            let backend = try await system.backend(options: options)
            let lines = Recorder<String>()
            try await PlainConsole(backend: backend, write: { lines.append($0) }).run(until: {
                await system.orders.server.stop(grace: .milliseconds(200))
                _ = try? await eventually("a connection line") { lines.all.first { $0.hasPrefix("Connection: ") } }
            })
            let line = try XCTUnwrap(lines.all.first { $0.hasPrefix("Connection: ") }, "\(lines.all)")
            XCTAssertTrue(line.hasPrefix("Connection: event stream"), line)
            XCTAssertFalse(line.contains("StreamStatus("), line)
        }
    }
}
