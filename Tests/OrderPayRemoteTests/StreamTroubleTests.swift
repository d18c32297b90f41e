import Foundation
import OrderPayConsole
import OrderPayCore
@testable import OrderPayRemote
import XCTest

/// What the event stream reports when the gateway answers with an error, or does not answer.
final class StreamTroubleTests: XCTestCase {
    func fastStream() -> RemoteBackend.Options {
        var options = RemoteBackend.Options()
        options.streamInitialBackoff = 0.1
        options.streamMaximumBackoff = 0.1
        return options
    }

    /// The gateway answered (503: the order service is down): the banner says what it answered,
    /// not "gateway unreachable", which sent operators to check the wrong process.
    func testAServiceDownBehindTheGatewayIsNotCalledAnUnreachableGateway() async throws {
        try await withLiveSystem { system in
            let backend = try await system.backend(options: fastStream())
            await system.orders.server.stop(grace: .milliseconds(200))
            let statuses = Recorder<StreamStatus?>()
            let stream = backend.streamEvents(backlog: 10) { statuses.append($0) }
            let task = Task { for await _ in stream {} }
            let first = try await eventually("a status reported") { statuses.all.compactMap { $0 }.first }
            task.cancel()
            await task.value
            XCTAssertFalse(first.text.contains("gateway unreachable"), first.text)
            XCTAssertTrue(first.text.contains("ORDER-SERVICE"), first.text)
            XCTAssertTrue(first.text.contains("503 from the gateway"), first.text)
            XCTAssertNil(first.refusal, "an outage, retried")
        }
    }
}
