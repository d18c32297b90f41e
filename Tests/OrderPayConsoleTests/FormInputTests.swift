import Foundation
import OrderPayConsole
import OrderPayCore
import XCTest

/// What the operator types into a form is what the form checks and submits, never a tidied-up guess.
final class FormInputTests: XCTestCase {
    /// The new-order form with "Quantity" of the first product focused and emptied.
    private func quantityFocused() -> ConsoleState {
        var state = Fixtures.newOrderForm()
        Fixtures.press(&state, .right, .tab, .tab, .ctrl("u"))   // a customer with an address, then Quantity
        return state
    }

    private func form(_ state: ConsoleState) -> FormState? {
        if case .form(let form)? = state.topOverlay { return form }
        return nil
    }

    func testAQuantityThatIsNotAWholeNumberIsKeptAndRefused() throws {
        for typed in ["1.5", "-3", "1e2", "abc", "٣", "２", "12345678901234567890123", "1000"] {
            var state = quantityFocused()
            Fixtures.type(&state, typed)
            let quantity = try XCTUnwrap(form(state)?.field("quantity1"), typed)
            XCTAssertEqual(quantity.text, typed, "the field shows what was typed")
            XCTAssertEqual(quantity.error, "quantity must be 1–999", typed)
            let screen = ConsoleView.render(state).text
            XCTAssertTrue(screen.contains("✗ quantity must be 1–999"), typed)
            XCTAssertTrue(screen.contains("Total —"), "no total from a quantity the form cannot read: \(typed)")
            XCTAssertEqual(Fixtures.press(&state, .enter), [], typed)
            XCTAssertNotNil(form(state), "Enter does not get past an invalid quantity: \(typed)")
            XCTAssertEqual(form(state)?.field("quantity1")?.text, typed)
        }
    }

    func testCorrectingTheQuantityClearsItsError() throws {
        var state = quantityFocused()
        Fixtures.type(&state, "1.5")
        Fixtures.press(&state, .backspace, .backspace)
        XCTAssertNil(form(state)?.field("quantity1")?.error)
        XCTAssertEqual(form(state)?.field("quantity1")?.text, "1")
        Fixtures.press(&state, .enter)
        guard case .confirm(let confirm)? = state.topOverlay else { return XCTFail("a valid form reaches its confirm") }
        XCTAssertTrue(confirm.question.contains("×1 "), confirm.question)
    }
}
