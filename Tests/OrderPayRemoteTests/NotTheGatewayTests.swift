import Foundation
import OrderPayConsole
import OrderPayCore
@testable import OrderPayRemote
import XCTest

/// `--remote` pointed at something other than the gateway.
final class NotTheGatewayTests: XCTestCase {
    /// `--remote` at a service's own port signed in (at auth) or failed oddly, then every pane
    /// said "no route": the console now says at once what it found and where the gateway is.
    func testAServicePortIsRefusedAsNotTheGateway() async throws {
        try await withLiveSystem { system in
            for (host, name) in [(system.orders, "orders"), (system.auth, "auth")] {
                do {
                    _ = try await RemoteBackend(gatewayURL: host.server.baseURL, email: LiveSystem.adminEmail, password: LiveSystem.adminPassword)
                    XCTFail("signed in at the \(name) service")
                } catch let error as AppError {
                    XCTAssertEqual(error.kind, .validation, error.message)
                    XCTAssertTrue(error.message.contains("the OrderPay \(name) service, not the gateway"), error.message)
                    XCTAssertTrue(error.message.contains("gateway's URL"), error.message)
                    XCTAssertFalse(error.message.contains("\n"), "one line")
                }
            }
            _ = try await system.backend()   // the gateway itself still signs in
        }
    }
}
