import Foundation
import OrderPayConsole
import OrderPayCore
import XCTest

/// What a form shows of its fields: the labels whole, and the end of a long value being typed.
final class FormFieldViewTests: XCTestCase {
    /// A 200-character address typed into the new-order form: the end, where the typing happens,
    /// stays in view (the box showed the first 55 characters and an ellipsis, so what was typed
    /// last, and any typo in it, could not be seen).
    func testTheEndOfALongValueBeingTypedIsInView() throws {
        var state = Fixtures.newOrderForm()
        guard case .form(let form)? = state.topOverlay else { return XCTFail("no form") }
        let address = try XCTUnwrap(form.fields.firstIndex { $0.name == "address" })
        for _ in 0..<address { Fixtures.press(&state, .tab) }
        Fixtures.press(&state, .ctrl("u"))
        Fixtures.type(&state, String(repeating: "Gangnam-daero ", count: 14) + "Seoul 06236")
        let screen = ConsoleView.render(state).text
        let line = try XCTUnwrap(screen.components(separatedBy: "\n").first { $0.contains("Ship to") })
        XCTAssertTrue(line.contains("Seoul 06236▏"), line)
        XCTAssertTrue(line.contains("…"), "a cut value says so: \(line)")

        Fixtures.press(&state, .tab)
        let unfocused = try XCTUnwrap(ConsoleView.render(state).text.components(separatedBy: "\n").first { $0.contains("Ship to") })
        XCTAssertTrue(unfocused.contains("Gangnam-daero Gangnam"), "not being typed in, it shows its start: \(unfocused)")
    }

    /// The retry form's only label says what an empty token means; it was cut to "New token (em…".
    func testALabelLongerThanTheUsualColumnIsShownWhole() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char("3"), .char("r"))
        let screen = ConsoleView.render(state).text
        XCTAssertTrue(screen.contains("New token (empty: same)"), screen)
    }
}
