import Foundation
import OrderPayConsole
import OrderPayCore
import XCTest

/// `n` fetches the catalog and the customers before the form can open: on a slow link that took
/// seconds with nothing on screen.
final class OrderFormWaitTests: XCTestCase {
    func testWaitingForTheFormIsShownUntilBothHaveArrived() {
        var state = Fixtures.state()
        XCTAssertEqual(Set(Fixtures.press(&state, .char("n"))), [.loadCatalog, .loadPickerUsers])
        XCTAssertTrue(ConsoleView.render(state).text.contains("opening the new-order form"), ConsoleView.render(state).text)
        _ = ConsoleUpdate.update(&state, .pickerUsersLoaded(.success(Fixtures.users)))
        XCTAssertTrue(ConsoleView.render(state).text.contains("opening the new-order form"))
        _ = ConsoleUpdate.update(&state, .catalogLoaded(.success(Fixtures.products)))
        guard case .form(let form)? = state.topOverlay else { return XCTFail("no form") }
        XCTAssertEqual(form.kind, .placeOrder)
        XCTAssertFalse(ConsoleView.render(state).text.contains("opening the new-order form"))
    }
}
