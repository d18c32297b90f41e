import Foundation
import OrderPayConsole
import OrderPayCore
import XCTest

/// An empty pane says so in words, not as a range of rows.
final class EmptyPaneTests: XCTestCase {
    func text(_ state: ConsoleState) -> String { ConsoleView.render(state).text }

    /// "0–0 of 0" read like a range of rows that did not exist.
    func testAnEmptyPaneSaysSoReadably() {
        var state = Fixtures.state()
        _ = ConsoleUpdate.update(&state, .ordersLoaded(.success(RowPage(rows: [], page: 0, total: 0)), eventsSeen: state.events.endIndex))
        let screen = text(state)
        XCTAssertFalse(screen.contains("0–0 of 0"), screen)
        XCTAssertTrue(screen.contains("2 Orders 0 of 0"), screen)
        XCTAssertTrue(screen.contains("no orders yet"), screen)

        // Filtered on the server: the pane says by what, not that there are none at all.
        Fixtures.press(&state, .char(":"))
        Fixtures.type(&state, "payments status=CANCELLED")
        Fixtures.press(&state, .enter)
        _ = ConsoleUpdate.update(&state, .paymentsLoaded(.success(RowPage(rows: [], page: 0, total: 0)), eventsSeen: state.events.endIndex))
        XCTAssertTrue(text(state).contains("no payments with status=CANCELLED"), text(state))
    }
}
