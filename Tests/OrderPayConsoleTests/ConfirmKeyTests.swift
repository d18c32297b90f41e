import Foundation
import OrderPayConsole
import OrderPayCore
import XCTest

/// A confirm dialog says `[y] yes   [n] no`: only `y` is yes.
final class ConfirmKeyTests: XCTestCase {
    func testEnterInAConfirmDialogDoesNotConfirm() {
        var state = Fixtures.newOrderForm()
        Fixtures.press(&state, .right)   // a customer with an address
        XCTAssertEqual(Fixtures.press(&state, .enter), [])
        guard case .confirm? = state.topOverlay else { return XCTFail("the valid form should ask to confirm") }
        // An Enter meant for the form, pressed again as the dialog appears.
        XCTAssertEqual(Fixtures.press(&state, .enter, .enter), [])
        guard case .confirm? = state.topOverlay else { return XCTFail("Enter closed the dialog") }
        XCTAssertEqual(state.toasts.filter { $0.text.contains("press y to confirm") }.count, 1, "\(state.toasts)")
        guard case .perform(.placeOrder)? = Fixtures.press(&state, .char("y")).first else { return XCTFail("y confirms") }
    }

    func testEnterDoesNotConfirmADashboardAction() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char("1"), .char("a"))
        guard case .confirm? = state.topOverlay else { return XCTFail("a asks to confirm") }
        XCTAssertEqual(Fixtures.press(&state, .enter), [])
        Fixtures.press(&state, .char("n"))
        XCTAssertTrue(state.overlays.isEmpty)
    }
}
