import Foundation
import OrderPayConsole
import OrderPayCore
import XCTest

/// The registry pane retries as the other panes do. Time moves only by `.tick`.
final class RegistryBackoffTests: XCTestCase {
    func tick(_ state: inout ConsoleState, _ seconds: TimeInterval) -> [Effect] {
        ConsoleUpdate.update(&state, .tick(Fixtures.now.addingTimeInterval(seconds)))
    }

    func text(_ state: ConsoleState) -> String { ConsoleView.render(state).text }

    /// The registry pane took no notice of Retry-After, and asked again every 2 s however the
    /// gateway answered; the other panes wait as long as they are told.
    func testTheRegistryPaneHonoursRetryAfterAndSaysWhenItRetries() {
        var state = Fixtures.state()
        let limited = AppError(.rateLimited, "rate limit exceeded (Retry-After: 10 s)", retryAfter: 10)
        _ = ConsoleUpdate.update(&state, .registryLoaded(.failure(limited), at: Fixtures.now))
        for second in 1..<10 { XCTAssertFalse(tick(&state, TimeInterval(second)).contains(.load(.registry)), "asked again at +\(second) s") }
        XCTAssertTrue(text(state).contains("retrying in 1s"), text(state))
        XCTAssertTrue(tick(&state, 10).contains(.load(.registry)))

        // Healed: back to a refresh every 2 s.
        _ = ConsoleUpdate.update(&state, .registryLoaded(.success(Fixtures.registry), at: Fixtures.now.addingTimeInterval(11)))
        XCTAssertTrue(tick(&state, 13).contains(.load(.registry)))

        // A refusal is not asked again (as on the other panes).
        _ = ConsoleUpdate.update(&state, .registryLoaded(.failure(AppError(.forbidden, "only an admin can see the registry")), at: Fixtures.now.addingTimeInterval(13)))
        XCTAssertFalse((14...60).contains { tick(&state, TimeInterval($0)).contains(.load(.registry)) })
    }
}
