import Foundation
import OrderPayConsole
import OrderPayCore
import XCTest

/// Marked payments that are not FAILED are not retried, and every message about the retry says which.
final class BulkRetryLeftOutTests: XCTestCase {
    func testTheConfirmNamesTheMarkedPaymentsLeftOut() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char("3"), .char(" "), .char(" "))   // #6 FAILED, #5 SUCCESS
        Fixtures.press(&state, .char("r"))
        XCTAssertEqual(state.toasts.last?.text, "#5 left out: SUCCESS")
        Fixtures.type(&state, "tok_visa")
        Fixtures.press(&state, .enter)
        guard case .confirm(let confirm)? = state.topOverlay else { return XCTFail("no confirm") }
        XCTAssertEqual(confirm.question, "Retry payment #6 with tok_visa (#5 left out: SUCCESS)?")
        guard case .perform(let action)? = Fixtures.press(&state, .char("y")).first else { return XCTFail("y performs the retry") }
        XCTAssertTrue(action.summary.hasSuffix("(#5 left out: SUCCESS)"), "the audit log names them too: \(action.summary)")
    }

    func testMarksWithNoFailedPaymentNameTheOnesLeftOut() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char("3"), .char("j"), .char(" "), .char(" "), .char(" "))   // #5 SUCCESS, #4 PROCESSING, #2 REFUNDED
        Fixtures.press(&state, .char("r"))
        XCTAssertTrue(state.overlays.isEmpty)
        XCTAssertEqual(state.toasts.last?.text, "only FAILED payments can be retried: #2 is REFUNDED, #4 is PROCESSING, #5 is SUCCESS")
    }
}
