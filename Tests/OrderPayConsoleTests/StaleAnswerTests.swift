import Foundation
import OrderPayConsole
import OrderPayCore
import XCTest

/// Answers that arrive after the operator has moved on (a slow gateway, a busy service) must not
/// be shown as the answer to what is on screen now.
final class StaleAnswerTests: XCTestCase {
    private func press(_ state: inout ConsoleState, _ keys: Key...) -> [Effect] {
        keys.flatMap { ConsoleUpdate.update(&state, .key($0)) }
    }

    private func orderDetail(_ id: Int64) -> OrderDetail {
        OrderDetail(order: Fixtures.order(id, .failed, reason: "card declined"), history: [],
                    payment: Fixtures.payment(id, .failed, reason: "card declined"), paymentHistory: [], user: Fixtures.users[1])
    }

    /// Enter on one order, Esc, Enter on the next: the first order's late answer showed under the
    /// second (and `r` there retried the first order's payment).
    func testALateDetailOfAnotherOrderIsNotShown() {
        var state = Fixtures.state()
        XCTAssertEqual(press(&state, .enter), [.loadDetail(.order(6))])
        _ = press(&state, .escape, .char("j"))
        XCTAssertEqual(press(&state, .enter), [.loadDetail(.order(5))])
        _ = ConsoleUpdate.update(&state, .detailLoaded(.success(.order(orderDetail(6)))))
        let screen = ConsoleView.render(state).text
        XCTAssertFalse(screen.contains("Order #6"), screen)
        XCTAssertTrue(screen.contains("loading order #5"), screen)
        _ = press(&state, .char("r"))
        XCTAssertFalse(state.overlays.contains { if case .form = $0 { true } else { false } }, "r offered a retry of order 6's payment")

        _ = ConsoleUpdate.update(&state, .detailLoaded(.success(.order(orderDetail(5)))))
        XCTAssertTrue(ConsoleView.render(state).text.contains("Order #5"))
    }
}
