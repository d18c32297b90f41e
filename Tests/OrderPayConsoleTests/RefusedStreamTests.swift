import Foundation
import OrderPayConsole
import OrderPayCore
import XCTest

/// The events pane of an operator whose stream was refused.
final class RefusedStreamTests: XCTestCase {
    func text(_ state: ConsoleState) -> String { ConsoleView.render(state).text }

    /// A non-admin's stream is refused for good: "waiting for events…" promised events that
    /// would never come.
    func testARefusedStreamSaysTheEventsPaneNeedsTheAdminRole() {
        var state = ConsoleState()
        _ = ConsoleUpdate.update(&state, .tick(Fixtures.now))
        _ = ConsoleUpdate.update(&state, .resize(width: 160, height: 45))
        XCTAssertTrue(text(state).contains("waiting for events"))
        _ = ConsoleUpdate.update(&state, .streamStatus(StreamStatus("event stream refused: this operation requires ROLE_ADMIN", refusal: .forbidden)))
        let screen = text(state)
        XCTAssertFalse(screen.contains("waiting for events"), screen)
        XCTAssertTrue(screen.contains("the events pane needs the ADMIN role"), screen)
    }
}
