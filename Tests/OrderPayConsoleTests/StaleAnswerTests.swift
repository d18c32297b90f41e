import Foundation
import OrderPayConsole
import OrderPayCore
import XCTest

/// Answers that arrive after the operator has moved on (a slow gateway, a busy service) must not
/// be shown as the answer to what is on screen now, and a page that comes back with rows added
/// above the selection must keep the selection on the row the operator chose.
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

    /// Three PgDn while the first page is still on its way: the answer for page 2 arrives first
    /// and must not pull the pane back from page 4.
    func testPagingOnWhileAPageIsInFlightDoesNotGoBack() {
        var state = Fixtures.state(width: 160, height: 45)
        let size = state.orders.pageSize
        _ = ConsoleUpdate.update(&state, .ordersLoaded(.success(RowPage(rows: Fixtures.orders, page: 0, total: 200)), eventsSeen: state.events.endIndex))
        _ = press(&state, .pageDown, .pageDown, .pageDown)
        XCTAssertEqual(state.orders.page, 3)
        let stale = (0..<size).map { Fixtures.order(Int64(1000 + $0), .paid) }
        _ = ConsoleUpdate.update(&state, .ordersLoaded(.success(RowPage(rows: stale, page: 1, total: 200)), eventsSeen: state.events.endIndex))
        XCTAssertEqual(state.orders.page, 3, "a late answer for page 2 moved the pane back")
        XCTAssertFalse(ConsoleView.render(state).text.contains("1000"), "page 2's rows shown under page 4's title")
    }

    /// `:orders status=FAILED` while the unfiltered first page is on its way: that page must not
    /// be shown under the filter's title (the filtered one is fetched next).
    func testAPageForAnEarlierQueryIsNotShownUnderTheNewOne() {
        var state = Fixtures.state()
        let unfiltered = state.orders.request
        _ = ConsoleUpdate.update(&state, .key(.char(":")))
        for c in "orders status=FAILED" { _ = ConsoleUpdate.update(&state, .key(.char(c))) }
        XCTAssertTrue(ConsoleUpdate.update(&state, .key(.enter)).contains(.load(.orders)))
        let paid = [Fixtures.order(9, .paid)]
        _ = ConsoleUpdate.update(&state, .ordersLoaded(.success(RowPage(rows: paid, page: 0, total: 1)), eventsSeen: state.events.endIndex, query: unfiltered))
        XCTAssertNotEqual(state.visibleOrders.map(\.id), [9])
        _ = ConsoleUpdate.update(&state, .ordersLoaded(.success(RowPage(rows: [Fixtures.order(6, .failed)], page: 0, total: 1)),
                                                       eventsSeen: state.events.endIndex, query: state.orders.request))
        XCTAssertEqual(state.visibleOrders.map(\.id), [6])
    }

    /// The cursor on order 4; a new order arrives and the first page comes back with it on top:
    /// the selection stays on order 4 (it had moved to order 5, and `x` cancelled that one).
    func testTheSelectionStaysOnItsRowWhenTheSamePageComesBackShifted() {
        var state = Fixtures.state()
        _ = press(&state, .char("j"), .char("j"))
        XCTAssertEqual(state.selectedOrder?.id, 4)
        let shifted = [Fixtures.order(7, .created)] + Fixtures.orders
        _ = ConsoleUpdate.update(&state, .ordersLoaded(.success(RowPage(rows: shifted, page: 0, total: 61)), eventsSeen: state.events.endIndex))
        XCTAssertEqual(state.selectedOrder?.id, 4)
        _ = press(&state, .char("x"))
        guard case .confirm(let confirm)? = state.topOverlay else { return XCTFail("no confirmation") }
        XCTAssertEqual(confirm.action, .cancelOrder(4))
    }

    /// On the first row of the first page the selection follows the newest row, as the events
    /// pane does at its end.
    func testTheTopRowFollowsTheNewest() {
        var state = Fixtures.state()
        XCTAssertEqual(state.selectedOrder?.id, 6)
        let shifted = [Fixtures.order(7, .created)] + Fixtures.orders
        _ = ConsoleUpdate.update(&state, .ordersLoaded(.success(RowPage(rows: shifted, page: 0, total: 61)), eventsSeen: state.events.endIndex))
        XCTAssertEqual(state.selectedOrder?.id, 7)
    }

    /// Sorting (`>` `<` `I`) reorders the page on the client: the selection stays on its order
    /// (it stayed at its index, on whatever order sorted there).
    func testSortingKeepsTheSelectedRow() {
        var state = Fixtures.state()
        _ = press(&state, .char("j"), .char("j"))
        XCTAssertEqual(state.selectedOrder?.id, 4)
        _ = press(&state, .char(">"))
        XCTAssertEqual(state.visibleOrders.map(\.id), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(state.selectedOrder?.id, 4)
        _ = press(&state, .char("I"))
        XCTAssertEqual(state.selectedOrder?.id, 4)
    }

    /// A row that left the page (its status no longer matches the query, say) leaves the cursor
    /// where it was, on the page's rows.
    func testTheCursorStaysInPlaceWhenItsRowLeftThePage() {
        var state = Fixtures.state()
        _ = press(&state, .char("j"), .char("j"))
        let without = Fixtures.orders.filter { $0.id != 4 }
        _ = ConsoleUpdate.update(&state, .ordersLoaded(.success(RowPage(rows: without, page: 0, total: 59)), eventsSeen: state.events.endIndex))
        XCTAssertEqual(state.orders.cursor, 2)
        XCTAssertEqual(state.selectedOrder?.id, 3)
    }
}
