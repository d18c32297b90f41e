import Foundation
import OrderPayConsole
import OrderPayCore
import XCTest

/// What the services will refuse is refused in the console before its confirm dialog, by the
/// services' own rules: a confirm that can only end in an error (and a failed audit line) is a trap.
final class FormRulesTests: XCTestCase {
    private func form(_ state: ConsoleState) -> FormState? {
        if case .form(let form)? = state.topOverlay { return form }
        return nil
    }

    /// The new-order form with its last field, the token, focused and emptied.
    private func orderTokenFocused() -> ConsoleState {
        var state = Fixtures.newOrderForm()
        Fixtures.press(&state, .right, .backTab, .ctrl("u"))   // a customer with an address, then Token
        return state
    }

    func testTheNewOrderFormRefusesATokenThePaymentServiceWould() {
        for token in ["tok bad", "tok_💳", "visa", "tok_"] {
            var state = orderTokenFocused()
            Fixtures.type(&state, token)
            XCTAssertEqual(Fixtures.press(&state, .enter), [], token)
            XCTAssertEqual(form(state)?.field("token")?.error, "a token looks like tok_… (letters, digits, _)", token)
        }
        var state = orderTokenFocused()
        Fixtures.type(&state, "tok_insufficientFunds")
        Fixtures.press(&state, .enter)
        guard case .confirm? = state.topOverlay else { return XCTFail("a well-formed token reaches the confirm") }
    }

    func testTheRetryFormChecksATokenTheSameWay() {
        for token in ["tok bad", "tok_💳"] {
            var state = Fixtures.state()
            Fixtures.press(&state, .char("3"), .char("r"))
            Fixtures.type(&state, token)
            Fixtures.press(&state, .enter)
            XCTAssertEqual(form(state)?.field("token")?.error, "a token looks like tok_… (letters, digits, _)", token)
        }
    }

    func testAShippingAddressLongerThanTheServiceTakesIsRefusedInline() {
        var state = Fixtures.newOrderForm()
        Fixtures.press(&state, .backTab, .backTab, .backTab, .ctrl("u"))   // Ship to
        Fixtures.type(&state, String(repeating: "a", count: 501))
        Fixtures.press(&state, .enter)
        XCTAssertEqual(form(state)?.field("address")?.error, "at most 500 characters, not 501")
        Fixtures.press(&state, .backspace, .enter)
        guard case .confirm? = state.topOverlay else { return XCTFail("500 characters are fine") }
    }

    func testRefundIsRefusedUpFrontUnlessThePaymentSucceeded() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char("3"), .char("G"), .char("R"))          // #2 REFUNDED
        XCTAssertTrue(state.overlays.isEmpty)
        XCTAssertEqual(state.toasts.last?.text, "payment #2 is REFUNDED: only a SUCCESS payment can be refunded")
        Fixtures.press(&state, .char("g"), .char("j"), .char("R"))          // #5 SUCCESS
        XCTAssertEqual(form(state)?.kind, .refund(5))
    }

    func testCompleteIsRefusedUpFrontWhenTheOrderCannotBeCompleted() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char("2"), .char("g"), .char("C"))          // #6 FAILED
        XCTAssertTrue(state.overlays.isEmpty)
        XCTAssertEqual(state.toasts.last?.text, "order #6 is FAILED: it cannot go from FAILED to COMPLETED")
        Fixtures.press(&state, .char("j"), .char("C"))                      // #5 PAID
        guard case .confirm(let confirm)? = state.topOverlay else { return XCTFail("a PAID order can be completed") }
        XCTAssertEqual(confirm.action, .completeOrder(5))
    }

    func testCancelIsRefusedUpFrontWhenTheOrderCannotBeCancelled() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char("2"), .char("g"), .char("j"), .char("x"))   // #5 PAID
        XCTAssertTrue(state.overlays.isEmpty)
        XCTAssertEqual(state.toasts.last?.text, "order #5 is PAID: cancel it by refunding its payment (R on the payment)")
        Fixtures.press(&state, .char("j"), .char("j"), .char("j"), .char("x"))   // #2 COMPLETED
        XCTAssertTrue(state.overlays.isEmpty)
        XCTAssertEqual(state.toasts.last?.text, "order #2 is COMPLETED: it cannot go from COMPLETED to CANCELLED")
        Fixtures.press(&state, .char("g"), .char("x"))                          // #6 FAILED
        guard case .confirm(let confirm)? = state.topOverlay else { return XCTFail("a FAILED order can be cancelled") }
        XCTAssertEqual(confirm.action, .cancelOrder(6))
    }
}
