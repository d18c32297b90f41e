import Foundation
import OrderPayConsole
import OrderPayCore
import XCTest

/// An action's summary can be long (a typed address of hundreds of characters); its outcome is
/// what the operator needs to read, in the toast and in the audit log overlay.
final class LongOutcomeTests: XCTestCase {
    let address = String(repeating: "Straße 12, 서울 ", count: 40)

    func placeOrder() -> ConsoleAction {
        .placeOrder(NewOrder(userId: 2, items: [.init(productId: 1, quantity: 1)], shippingAddress: address,
                             paymentMethod: .creditCard, paymentToken: "tok_visa"),
                    summary: "kim@example.com: Keyboard ×1 = 89.90 with tok_visa, ship to \(address)")
    }

    func testAFailedActionsToastKeepsTheReason() {
        var state = Fixtures.state(width: 80, height: 24)
        _ = ConsoleUpdate.update(&state, .actionFinished(placeOrder(), .failure(AppError.validation("shippingAddress is too long", field: "shippingAddress"))))
        let toast = state.toasts.last?.text ?? ""
        XCTAssertTrue(toast.hasSuffix("failed: shippingAddress is too long"), toast)
        XCTAssertLessThanOrEqual(TextWidth.of(toast), 80, toast)
        XCTAssertTrue(ConsoleView.render(state).text.contains("shippingAddress is too long"))
    }

    func testTheAuditOverlayKeepsTheOutcome() {
        var state = Fixtures.state(width: 120, height: 40)
        let entry = AuditEntry(at: Date(timeIntervalSince1970: 1_767_254_400), who: "cli:ops", mode: "embedded",
                               action: placeOrder().summary, outcome: "failed: shippingAddress is too long", ok: false)
        Fixtures.press(&state, .char("A"))
        _ = ConsoleUpdate.update(&state, .auditLoaded([entry]))
        let screen = ConsoleView.render(state).text
        XCTAssertTrue(screen.contains("failed: shippingAddress is too long"), screen)
    }
}
