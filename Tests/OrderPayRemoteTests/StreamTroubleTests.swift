import Foundation
import OrderPayConsole
import OrderPayCore
import OrderPayGateway
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

    /// The access token has expired and its refresh meets a 504 (the auth service took too long
    /// to answer): the banner names the 504 and the gateway's detail, as for any other answer,
    /// where it said "(503 from the gateway)" whatever the gateway had answered.
    func testARefreshThatMeetsA504NamesTheRealStatus() async throws {
        try await withLiveSystem { system in
            let gateway = try await system.startSecondGateway { $0.upstreamTimeout = .seconds(1) }
            let silent = try FrozenListener()
            defer { silent.close() }
            do {
                let clock = TestClock()
                var options = fastStream()
                options.clock = { clock.now() }
                let backend = try await RemoteBackend(gatewayURL: gateway.baseURL, email: LiveSystem.adminEmail,
                                                      password: LiveSystem.adminPassword, options: options)
                // The auth service leaves the registry; in its place, one that accepts and never answers.
                await system.auth.system.deregister()
                try await EurekaClient(baseURL: system.registry.baseURL)
                    .register(app: "AUTH-SERVICE", instanceId: "silent-auth", host: "127.0.0.1", port: silent.port)
                _ = try await eventually("the gateway sends refreshes to the silent instance") { () -> Bool? in
                    let response = try await backend.transport.exchange("POST", "/api/auth/refresh", body: Data(#"{"refreshToken":"x"}"#.utf8))
                    return response.status == 504 ? true : nil
                }
                clock.advance(600)   // the access token has expired: it must be refreshed, not used
                let statuses = Recorder<StreamStatus?>()
                let stream = backend.streamEvents(backlog: 0) { statuses.append($0) }
                let task = Task { for await _ in stream {} }
                let first = try await eventually("a status reported") { statuses.all.compactMap { $0 }.first }
                task.cancel()
                await task.value
                XCTAssertTrue(first.text.contains("(504 from the gateway)"), first.text)
                XCTAssertTrue(first.text.contains("AUTH-SERVICE did not answer within 1.0 s"), first.text)
                XCTAssertNil(first.refusal, "an outage, retried")
            } catch {
                await gateway.stop(grace: .milliseconds(200))
                throw error
            }
            await gateway.stop(grace: .milliseconds(200))
        }
    }
}
