import Foundation
import OrderPayConsole
import OrderPayCore
import XCTest

/// A pane whose retry is on its way says so. Time moves only by `.tick`.
final class RetryInFlightTests: XCTestCase {
    let down = AppError(.unavailable, "gateway unreachable at http://127.0.0.1:21000: Timeout was reached")

    func tick(_ state: inout ConsoleState, _ seconds: TimeInterval) -> [Effect] {
        ConsoleUpdate.update(&state, .tick(Fixtures.now.addingTimeInterval(seconds)))
    }

    func text(_ state: ConsoleState) -> String { ConsoleView.render(state).text }

    /// A retry of a page that timed out can itself take 35 s: the pane says it is on its way.
    func testAPaneSaysWhileItsRetryIsInFlight() {
        var state = Fixtures.state()
        _ = ConsoleUpdate.update(&state, .paymentsLoaded(.failure(down), eventsSeen: state.events.endIndex))
        XCTAssertTrue(text(state).contains("retrying in 2s"), text(state))
        XCTAssertTrue(tick(&state, 2).contains(.load(.payments)))
        XCTAssertTrue(text(state).contains("retrying now"), text(state))
        _ = tick(&state, 20)
        XCTAssertTrue(text(state).contains("retrying now… 18s"), "how long it has been waiting: \(text(state))")
    }
}
