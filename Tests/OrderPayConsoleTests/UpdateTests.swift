import OrderPayConsole
import OrderPayCore
import XCTest

/// The update function's behaviours, as data: keys and messages in, state and effects out.
final class UpdateTests: XCTestCase {
    func testStartLoadsEveryPaneAtItsVisibleHeight() {
        var state = ConsoleState()
        state.width = 160; state.height = 45
        let effects = ConsoleUpdate.start(&state)
        XCTAssertEqual(Set(effects.map { "\($0)" }), Set([Effect.load(.users), .load(.orders), .load(.payments), .load(.registry), .loadCounts].map { "\($0)" }))
        XCTAssertEqual(state.orders.pageSize, Layout(state).tableRows(.orders))
    }

    func testFocusKeysAndTabCycle() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char("3"))
        XCTAssertEqual(state.focus, .payments)
        Fixtures.press(&state, .tab, .tab)
        XCTAssertEqual(state.focus, .registry)
        Fixtures.press(&state, .tab)
        XCTAssertEqual(state.focus, .users)
        Fixtures.press(&state, .backTab)
        XCTAssertEqual(state.focus, .registry)
    }

    func testMovingOffThePageFetchesTheNextPage() {
        var state = Fixtures.state()
        state.orders.pageSize = 6
        let effects = Fixtures.press(&state, .char("j"), .char("j"), .char("j"), .char("j"), .char("j"), .char("j"))
        XCTAssertEqual(state.orders.page, 1)
        XCTAssertEqual(effects, [.load(.orders)])
        Fixtures.press(&state, .char("G"))
        XCTAssertEqual(state.orders.page, 9, "60 rows in pages of 6")
    }

    func testFilterNarrowsAndBangInverts() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char("/"))
        Fixtures.type(&state, "failed")
        XCTAssertEqual(state.visibleOrders.map(\.id), [6])
        Fixtures.press(&state, .enter, .char("/"), .ctrl("u"))
        Fixtures.type(&state, "!failed")
        XCTAssertEqual(state.visibleOrders.count, 5)
        Fixtures.press(&state, .enter, .escape)
        XCTAssertEqual(state.visibleOrders.count, 6, "Esc clears the filter")
    }

    func testCommandLineQueriesTheServer() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char(":"))
        Fixtures.type(&state, "orders status=failed")
        let effects = Fixtures.press(&state, .enter)
        XCTAssertEqual(state.orders.query.status, "FAILED")
        XCTAssertTrue(effects.contains(.load(.orders)))
        Fixtures.press(&state, .char(":"))
        Fixtures.type(&state, "orders status=lost")
        Fixtures.press(&state, .enter)
        XCTAssertTrue(state.toasts.last?.isError == true)
        XCTAssertTrue(state.toasts.last!.text.contains("unknown order status 'lost'"))
        Fixtures.press(&state, .char(":"))
        Fixtures.type(&state, "q")
        XCTAssertEqual(Fixtures.press(&state, .enter), [.quit])
    }

    func testSortByColumnAndInvert() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char(">"))
        XCTAssertEqual(state.visibleOrders.map(\.id), [1, 2, 3, 4, 5, 6])
        Fixtures.press(&state, .char("I"))
        XCTAssertEqual(state.visibleOrders.map(\.id), [6, 5, 4, 3, 2, 1])
    }

    func testSortByUpdatedFollowsTheDateNotItsText() {
        var state = Fixtures.state()
        let day = Fixtures.now.addingTimeInterval(-8 * 3600) // 01-15 00:00 UTC
        func order(_ id: Int64, _ seconds: TimeInterval) -> Order { var o = Fixtures.order(id, .paid); o.updatedAt = day.addingTimeInterval(seconds); return o }
        // Same day at different times, and one a year earlier that `MM-dd HH:mm` cannot tell apart.
        let rows = [order(1, 11 * 3600 + 44 * 60), order(2, 9 * 3600 + 5 * 60), order(3, 23 * 3600 + 59 * 60), order(4, -365 * 86_400 + 12 * 3600)]
        _ = ConsoleUpdate.update(&state, .ordersLoaded(.success(RowPage(rows: rows, page: 0, total: rows.count)), eventsSeen: state.events.endIndex))
        let updated = Columns.orders.firstIndex { $0.title == "UPDATED" }!
        for _ in 0...updated { Fixtures.press(&state, .char(">")) }
        XCTAssertEqual(state.orders.sortColumn, updated)
        XCTAssertEqual(state.visibleOrders.map(\.id), [4, 2, 1, 3])
        Fixtures.press(&state, .char("I"))
        XCTAssertEqual(state.visibleOrders.map(\.id), [3, 1, 2, 4])
    }

    func testEventsUpdateRowsInPlace() {
        var state = Fixtures.state()
        let update = Fixtures.event(9, .orderStatusUpdated(OrderStatusUpdated(orderId: 4, userId: 2, from: .pending, to: .paid, reason: nil)))
        let paid = Fixtures.event(10, .paymentProcessed(PaymentProcessed(orderId: 4, paymentId: 4, amount: Money("179.80")!, status: .success, failureReason: nil, attempt: 1)))
        let effects = ConsoleUpdate.update(&state, .events([update, paid]))
        XCTAssertEqual(state.orders.rows.first { $0.id == 4 }?.status, .paid)
        XCTAssertEqual(state.payments.rows.first { $0.id == 4 }?.status, .success)
        XCTAssertEqual(effects, [.loadCounts], "rows on the page change in place: no page refetch")
    }

    func testNewOrderOnFirstPageRefetchesThatPageOnly() {
        var state = Fixtures.state()
        let created = Fixtures.event(9, .orderCreated(OrderCreated(orderId: 7, orderNumber: "n", userId: 2, totalAmount: Money("1.00")!, paymentMethod: .paypal, paymentToken: "tok_visa")))
        XCTAssertEqual(Set(ConsoleUpdate.update(&state, .events([created]))), [.loadCounts, .load(.orders)])
    }

    /// The page asked for on `order-created` can come back after the order has already failed:
    /// the events that arrived meanwhile still show on it.
    func testAPageFetchedBeforeLaterEventsDoesNotShowAStaleStatus() {
        var state = Fixtures.state()
        let created = Fixtures.event(9, .orderCreated(OrderCreated(orderId: 7, orderNumber: "n", userId: 2, totalAmount: Money("179.80")!, paymentMethod: .creditCard, paymentToken: "tok_chargeDeclined")))
        _ = ConsoleUpdate.update(&state, .events([created]))
        let askedAt = state.events.endIndex
        _ = ConsoleUpdate.update(&state, .events([
            Fixtures.event(10, .paymentProcessed(PaymentProcessed(orderId: 7, paymentId: 7, amount: Money("179.80")!, status: .failed, failureReason: "card declined", attempt: 1))),
            Fixtures.event(11, .orderStatusUpdated(OrderStatusUpdated(orderId: 7, userId: 2, from: .created, to: .pending, reason: nil))),
            Fixtures.event(12, .orderStatusUpdated(OrderStatusUpdated(orderId: 7, userId: 2, from: .pending, to: .failed, reason: "card declined"))),
        ]))
        // Both pages were read before the payment was processed.
        let staleOrders = [Fixtures.order(7, .created)] + Fixtures.orders
        _ = ConsoleUpdate.update(&state, .ordersLoaded(.success(RowPage(rows: staleOrders, page: 0, total: 61)), eventsSeen: askedAt))
        _ = ConsoleUpdate.update(&state, .paymentsLoaded(.success(RowPage(rows: [Fixtures.payment(7, .processing)] + Fixtures.payments, page: 0, total: 5)), eventsSeen: askedAt))
        XCTAssertEqual(state.orders.rows.first?.status, .failed)
        XCTAssertEqual(state.orders.rows.first?.failureReason, "card declined")
        XCTAssertEqual(state.payments.rows.first?.status, .failed)

        // A page asked for after those events is taken as it is: the server knows best.
        _ = ConsoleUpdate.update(&state, .ordersLoaded(.success(RowPage(rows: [Fixtures.order(7, .pending)] + Fixtures.orders, page: 0, total: 61)), eventsSeen: state.events.endIndex))
        XCTAssertEqual(state.orders.rows.first?.status, .pending)
    }

    /// The opposite race: the page was read after the server moved further than the events that
    /// arrived meanwhile; replaying them must not take the row back.
    func testReplayNeverTakesARowBackPastWhatThePageShows() {
        var state = Fixtures.state()
        let askedAt = state.events.endIndex
        _ = ConsoleUpdate.update(&state, .events([
            Fixtures.event(10, .paymentProcessed(PaymentProcessed(orderId: 4, paymentId: 4, amount: Money("179.80")!, status: .failed, failureReason: "card declined", attempt: 1))),
            Fixtures.event(11, .orderStatusUpdated(OrderStatusUpdated(orderId: 4, userId: 2, from: .pending, to: .failed, reason: "card declined"))),
        ]))
        // Read after the retry succeeded: the order is PAID, its payment SUCCESS on attempt 2.
        var paid = Fixtures.payment(4, .success)
        paid.attempts = 2
        _ = ConsoleUpdate.update(&state, .ordersLoaded(.success(RowPage(rows: [Fixtures.order(4, .paid)], page: 0, total: 1)), eventsSeen: askedAt))
        _ = ConsoleUpdate.update(&state, .paymentsLoaded(.success(RowPage(rows: [paid], page: 0, total: 1)), eventsSeen: askedAt))
        XCTAssertEqual(state.orders.rows.first?.status, .paid)
        XCTAssertNil(state.orders.rows.first?.failureReason)
        XCTAssertEqual(state.payments.rows.first?.status, .success)
        XCTAssertEqual(state.payments.rows.first?.attempts, 2)

        // The retry's own events, arriving late, fit the page: nothing to fetch.
        let late = ConsoleUpdate.update(&state, .events([
            Fixtures.event(12, .orderStatusUpdated(OrderStatusUpdated(orderId: 4, userId: 2, from: .pending, to: .paid, reason: nil))),
            Fixtures.event(13, .paymentProcessed(PaymentProcessed(orderId: 4, paymentId: 4, amount: Money("179.80")!, status: .success, failureReason: nil, attempt: 2))),
        ]))
        XCTAssertEqual(late, [.loadCounts])
    }

    /// A row that missed an event (it says CREATED, the stream says PENDING → FAILED) is
    /// fetched again rather than guessed at.
    func testARowOutOfStepWithTheStreamIsFetchedAgain() {
        var state = Fixtures.state()
        let effects = ConsoleUpdate.update(&state, .events([
            Fixtures.event(10, .orderStatusUpdated(OrderStatusUpdated(orderId: 3, userId: 2, from: .pending, to: .failed, reason: "card declined"))),
        ]))
        XCTAssertEqual(state.orders.rows.first { $0.id == 3 }?.status, .created)
        XCTAssertEqual(Set(effects), [.loadCounts, .load(.orders)])
    }

    /// Events that left the ring while a page was on its way cannot be replayed onto it: the
    /// page is fetched again.
    func testAPageOlderThanTheRingIsFetchedAgain() {
        var state = Fixtures.state()   // a ring of 100 events
        let askedAt = state.events.endIndex
        let flood = (0..<150).map { Fixtures.event(Int64(100 + $0), .orderStatusUpdated(OrderStatusUpdated(orderId: 999, userId: 2, from: .paid, to: .completed, reason: nil))) }
        _ = ConsoleUpdate.update(&state, .events(flood))
        let effects = ConsoleUpdate.update(&state, .ordersLoaded(.success(RowPage(rows: Fixtures.orders, page: 0, total: 60)), eventsSeen: askedAt))
        XCTAssertEqual(effects, [.load(.orders)])
        XCTAssertEqual(ConsoleUpdate.update(&state, .ordersLoaded(.success(RowPage(rows: Fixtures.orders, page: 0, total: 60)), eventsSeen: state.events.endIndex)), [])
    }

    func testPauseFreezesTheViewportAndCountsNewEvents() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char("4"), .char("p"))
        let frozen = state.events.shown.count
        _ = ConsoleUpdate.update(&state, .events([Fixtures.events[0], Fixtures.events[1]]))
        XCTAssertEqual(state.events.shown.count, frozen)
        XCTAssertEqual(state.events.newWhilePaused, 2)
        XCTAssertTrue(ConsoleView.render(state).text.contains("PAUSED +2 new"))
        Fixtures.press(&state, .char("p"))
        XCTAssertEqual(state.events.shown.count, frozen + 2)
    }

    func testEventRingIsBounded() {
        var state = ConsoleState(eventCapacity: 3)
        _ = ConsoleUpdate.update(&state, .events(Fixtures.events))
        XCTAssertEqual(state.events.events.count, 3)
        XCTAssertEqual(state.events.firstIndex, 1)
        XCTAssertEqual(state.events.events.first?.envelope.offset, 1)
    }

    func testReadOnlyRefusesEveryMutation() {
        var state = Fixtures.state()
        state.readOnly = true
        for key in [Key.char("n"), .char("x"), .char("C"), .char("r")] {
            XCTAssertEqual(Fixtures.press(&state, key), [])
            XCTAssertTrue(state.overlays.isEmpty)
        }
        XCTAssertTrue(state.toasts.allSatisfy(\.isError))
        XCTAssertTrue(state.toasts.last!.text.contains("read-only"))
    }

    func testReadOnlyRefusalNamesTheActionAsTheHelpDoes() {
        var state = Fixtures.state()
        state.readOnly = true
        Fixtures.press(&state, .char("n"))
        XCTAssertEqual(state.toasts.last?.text, "read-only console: new order is disabled")
        Fixtures.press(&state, .char("3"), .char("R"))
        XCTAssertEqual(state.toasts.last?.text, "read-only console: refund payment is disabled")
    }

    func testCancelAsksForConfirmationThenPerforms() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char("j"), .char("j"), .char("x"))
        guard case .confirm(let confirm)? = state.topOverlay else { return XCTFail("no confirm dialog") }
        XCTAssertEqual(confirm.action, .cancelOrder(4))
        XCTAssertEqual(Fixtures.press(&state, .char("n")), [])
        XCTAssertTrue(state.overlays.isEmpty)
        Fixtures.press(&state, .char("x"))
        XCTAssertEqual(Fixtures.press(&state, .char("y")), [.perform(.cancelOrder(4))])
    }

    func testBulkRetryOfMarkedFailedPayments() {
        var state = Fixtures.state()
        var more = Fixtures.payments
        more.append(Fixtures.payment(7, .failed, reason: "insufficient funds"))
        _ = ConsoleUpdate.update(&state, .paymentsLoaded(.success(RowPage(rows: more, page: 0, total: more.count)), eventsSeen: state.events.endIndex))
        Fixtures.press(&state, .char("3"), .char(" "))
        Fixtures.press(&state, .char("G"), .char(" "))
        XCTAssertEqual(state.payments.marked, [6, 7])
        Fixtures.press(&state, .char("r"))
        guard case .form(let form)? = state.topOverlay else { return XCTFail("no retry form") }
        XCTAssertEqual(form.kind, .retry([6, 7]))
        Fixtures.type(&state, "tok_visa")
        Fixtures.press(&state, .enter)
        XCTAssertEqual(Fixtures.press(&state, .char("y")), [.perform(.retryPayments([6, 7], token: "tok_visa"))])
        XCTAssertTrue(state.payments.marked.isEmpty)
    }

    func testBulkRetryIncludesMarksOnOtherPages() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char("3"))
        let size = state.payments.pageSize
        let first = (0..<size).map { Fixtures.payment(Int64(100 - $0), $0 == 0 ? .failed : .success) }
        let second = [Fixtures.payment(50, .failed), Fixtures.payment(49, .success)]
        _ = ConsoleUpdate.update(&state, .paymentsLoaded(.success(RowPage(rows: first, page: 0, total: size + 2)), eventsSeen: state.events.endIndex))
        Fixtures.press(&state, .char(" "))
        XCTAssertEqual(Fixtures.press(&state, .pageDown), [.load(.payments)])
        _ = ConsoleUpdate.update(&state, .paymentsLoaded(.success(RowPage(rows: second, page: 1, total: size + 2)), eventsSeen: state.events.endIndex))
        Fixtures.press(&state, .char("k"), .char(" "), .char(" "))
        XCTAssertEqual(state.payments.marked, [100, 50, 49])
        XCTAssertTrue(ConsoleView.render(state).text.contains("3 marked"))
        // Page 1 is on screen; #100, marked on page 0, is retried too, and #49 (not FAILED) is named.
        Fixtures.press(&state, .char("r"))
        guard case .form(let form)? = state.topOverlay else { return XCTFail("no retry form") }
        XCTAssertEqual(form.kind, .retry([50, 100], leftOut: [LeftOutPayment(id: 49, status: .success)]))
        XCTAssertEqual(state.toasts.last?.text, "#49 left out: SUCCESS")
    }

    func testRetryFromTheOrdersPane() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char("r"))
        guard case .form(let form)? = state.topOverlay else { return XCTFail("the payment on screen should open the form at once") }
        XCTAssertEqual(form.kind, .retry([6]))
        // Without the payment on screen, the order's detail is fetched first.
        Fixtures.press(&state, .escape)
        state.payments.rows = []
        XCTAssertEqual(Fixtures.press(&state, .char("r")), [.loadDetail(.order(6))])
        let detail = OrderDetail(order: Fixtures.orders[0], history: [], payment: Fixtures.payments[0], paymentHistory: [], user: nil)
        _ = ConsoleUpdate.update(&state, .detailLoaded(.success(.order(detail))))
        guard case .form(let later)? = state.topOverlay else { return XCTFail("no retry form after the detail loaded") }
        XCTAssertEqual(later.kind, .retry([6]))
    }

    func testRetryRefusesPaymentsThatDidNotFail() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char("3"), .char("j"), .char("r"))
        XCTAssertTrue(state.overlays.isEmpty)
        XCTAssertTrue(state.toasts.last!.text.contains("only FAILED payments"))
    }

    func testFailedActionKeepsTheFormWithInlineErrors() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char("1"), .char("u"))
        Fixtures.type(&state, "new@example.com")
        Fixtures.press(&state, .tab); Fixtures.type(&state, "New Person")
        Fixtures.press(&state, .tab); Fixtures.type(&state, "password1")
        let effects = Fixtures.press(&state, .enter, .char("y"))
        guard case .perform(let action)? = effects.first else { return XCTFail("no action: \(effects)") }
        XCTAssertEqual(action, .createUser(NewUser(email: "new@example.com", name: "New Person", password: "password1", admin: false)))
        guard case .form(let form)? = state.topOverlay else { return XCTFail("form closed too early") }
        XCTAssertTrue(form.submitting)
        let error = AppError(.conflict, "email already registered", fieldErrors: [.init(field: "email", message: "already registered")])
        _ = ConsoleUpdate.update(&state, .actionFinished(action, .failure(error)))
        guard case .form(let failed)? = state.topOverlay else { return XCTFail("form gone after a failure") }
        XCTAssertEqual(failed.field("email")?.error, "already registered")
        XCTAssertFalse(failed.submitting)
        XCTAssertTrue(ConsoleView.render(state).text.contains("already registered"))
        // Fixed and sent again, it closes on success.
        Fixtures.press(&state, .enter, .char("y"))
        _ = ConsoleUpdate.update(&state, .actionFinished(action, .success("user #9 created")))
        XCTAssertTrue(state.overlays.isEmpty)
        XCTAssertEqual(state.toasts.last?.text, "user #9 created")
    }

    func testErrorsOfAnEarlierTryAreGoneOnceTheFormIsValid() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char("1"), .char("u"))
        Fixtures.type(&state, "new@example.com")
        Fixtures.press(&state, .tab); Fixtures.type(&state, "New Person")
        Fixtures.press(&state, .tab); Fixtures.type(&state, "short")
        Fixtures.press(&state, .enter)
        guard case .form(let invalid)? = state.topOverlay else { return XCTFail("no form") }
        XCTAssertEqual(invalid.field("password")?.error, "at least 8 characters")
        Fixtures.type(&state, "-enough")
        Fixtures.press(&state, .enter)
        guard case .confirm? = state.topOverlay, case .form(let behind) = state.overlays[state.overlays.count - 2] else { return XCTFail("no confirm over the form") }
        XCTAssertNil(behind.error)
        XCTAssertTrue(behind.fields.allSatisfy { $0.error == nil }, "\(behind.fields.compactMap(\.error))")
    }

    func testNewOrderFormTakesTheNewCustomersAddress() {
        var state = Fixtures.newOrderForm()
        func form() -> FormState? { if case .form(let f)? = state.topOverlay { return f }; return nil }
        // Customers offered: Admin (no address), 김민준, Alice Martin (locked 이서연 is not).
        XCTAssertEqual(form()?.text("address"), "")
        Fixtures.press(&state, .right)
        XCTAssertEqual(form()?.text("address"), "1 Gangnam-daero, Seoul")
        Fixtures.press(&state, .left)
        XCTAssertEqual(form()?.text("address"), "", "Admin has no address: 김민준's is not kept")
        Fixtures.press(&state, .enter)
        XCTAssertEqual(form()?.field("address")?.error, "a shipping address is required")
        // An address typed by hand stays when the customer changes; the confirm dialog shows it.
        Fixtures.press(&state, .ctrl("u"))
        Fixtures.type(&state, "9 Hand St")
        Fixtures.press(&state, .tab, .tab, .tab)
        XCTAssertEqual(form()?.fields[form()!.focus].name, "user")
        Fixtures.press(&state, .right, .right)
        XCTAssertEqual(form()?.text("address"), "9 Hand St")
        Fixtures.press(&state, .enter)
        guard case .confirm(let confirm)? = state.topOverlay else { return XCTFail("no confirm dialog") }
        XCTAssertTrue(confirm.question.hasSuffix("ship to 9 Hand St?"), confirm.question)
        XCTAssertTrue(ConsoleView.render(state).text.contains("9 Hand St?"))
    }

    /// Only ASCII digits make a quantity, but the others are kept and refused, not dropped
    /// (dropping them turned `３٣²2` into 2, a quantity nobody typed).
    func testQuantityTakesOnlyASCIIDigits() {
        var state = Fixtures.newOrderForm()
        Fixtures.press(&state, .tab, .tab, .backspace)
        Fixtures.type(&state, "３٣²2")
        guard case .form(let form)? = state.topOverlay else { return XCTFail("no form") }
        XCTAssertEqual(form.text("quantity1"), "３٣²2")
        XCTAssertEqual(form.field("quantity1")?.error, "quantity must be 1–999")
    }

    func testTicksExpireToastsAndRefreshTheRegistryEveryTwoSeconds() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char(":"), .char("x"), .enter)
        XCTAssertEqual(state.toasts.count, 1)
        XCTAssertEqual(ConsoleUpdate.update(&state, .tick(Fixtures.now.addingTimeInterval(1))), [])
        XCTAssertEqual(ConsoleUpdate.update(&state, .tick(Fixtures.now.addingTimeInterval(2))), [.load(.registry)])
        _ = ConsoleUpdate.update(&state, .tick(Fixtures.now.addingTimeInterval(5)))
        XCTAssertTrue(state.toasts.isEmpty)
    }

    func testResizeRelayoutsAndRefetchesChangedPages() {
        var state = Fixtures.state(width: 160, height: 45)
        let effects = ConsoleUpdate.update(&state, .resize(width: 160, height: 30))
        XCTAssertTrue(effects.contains(.load(.orders)))
        XCTAssertEqual(ConsoleUpdate.update(&state, .resize(width: 160, height: 30)), [], "no change, no fetch")
    }

    func testStreamTroubleShowsABanner() {
        var state = Fixtures.state()
        _ = ConsoleUpdate.update(&state, .streamStatus("gateway unreachable, retrying in 2s"))
        XCTAssertTrue(ConsoleView.render(state).line(1).contains("gateway unreachable"))
        let effects = ConsoleUpdate.update(&state, .streamStatus(nil))
        XCTAssertNil(state.banner)
        XCTAssertTrue(effects.contains(.loadCounts), "reconnected: refresh what may have been missed")
    }
}
