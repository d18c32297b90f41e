import Foundation
import OrderPayConsole
import OrderPayCore
import XCTest

/// What the console does when the backend fails it: panes that heal by themselves, counts that
/// are never made up. Time moves only by `.tick`, so the backoff is checked as data.
final class FailedLoadTests: XCTestCase {
    let refused = AppError(.unavailable, "PAYMENT-SERVICE instance 127.0.0.1:8083 refused the connection")

    func tick(_ state: inout ConsoleState, _ seconds: TimeInterval) -> [Effect] {
        ConsoleUpdate.update(&state, .tick(Fixtures.now.addingTimeInterval(seconds)))
    }

    func failPayments(_ state: inout ConsoleState, _ error: AppError) {
        _ = ConsoleUpdate.update(&state, .paymentsLoaded(.failure(error), eventsSeen: state.events.endIndex))
    }

    func testAPaneWithAnErrorLoadsAgainByItselfWithABackoffUntilItHeals() {
        var state = Fixtures.state()
        failPayments(&state, refused)
        XCTAssertEqual(state.payments.error, refused.message)
        XCTAssertFalse(tick(&state, 1).contains(.load(.payments)), "not at once: the service was just refused")
        XCTAssertTrue(tick(&state, 2).contains(.load(.payments)), "2 s after the failure")
        XCTAssertFalse(tick(&state, 3).contains(.load(.payments)), "asked once per failure, not on every tick")

        failPayments(&state, refused)   // still down, at +3 s: the next try waits twice as long
        XCTAssertFalse(tick(&state, 6).contains(.load(.payments)))
        XCTAssertTrue(tick(&state, 7).contains(.load(.payments)))

        // The service is back: the pane shows rows again and stops retrying.
        _ = ConsoleUpdate.update(&state, .paymentsLoaded(.success(RowPage(rows: Fixtures.payments, page: 0, total: 4)), eventsSeen: state.events.endIndex))
        XCTAssertNil(state.payments.error)
        XCTAssertFalse(tick(&state, 60).contains(.load(.payments)))
    }

    func testTheBackoffHonoursRetryAfterAndStopsGrowingAtItsMaximum() {
        var state = Fixtures.state()
        let limited = AppError(.rateLimited, "rate limit exceeded; retry in 5 s (Retry-After: 5 s)", retryAfter: 5)
        _ = ConsoleUpdate.update(&state, .ordersLoaded(.failure(limited), eventsSeen: state.events.endIndex))
        XCTAssertFalse(tick(&state, 4).contains(.load(.orders)), "not before the gateway's Retry-After")
        XCTAssertTrue(tick(&state, 5).contains(.load(.orders)))

        var at: TimeInterval = 5
        for _ in 0..<6 {
            _ = ConsoleUpdate.update(&state, .ordersLoaded(.failure(refused), eventsSeen: state.events.endIndex))
            at += ReloadBackoff.maximumDelay + 1
            XCTAssertTrue(tick(&state, at).contains(.load(.orders)), "never longer than \(ReloadBackoff.maximumDelay) s between tries")
        }
    }

    func testARefusalThatWaitingCannotCureIsNotRetried() {
        var state = Fixtures.state()
        _ = ConsoleUpdate.update(&state, .usersLoaded(.failure(AppError(.forbidden, "this operation requires ROLE_ADMIN"))))
        XCTAssertNotNil(state.users.error)
        XCTAssertFalse((1...120).contains { tick(&state, TimeInterval($0)).contains(.load(.users)) })
    }

    func testThePaneSaysWhenItWillTryAgain() {
        var state = Fixtures.state()
        failPayments(&state, refused)
        let text = ConsoleView.render(state).text
        XCTAssertTrue(text.contains("refused the connection"), text)
        XCTAssertTrue(text.contains("retrying in 2s"), text)
    }

    func header(_ state: ConsoleState) -> String { String(ConsoleView.render(state).text.split(separator: "\n")[0]) }

    func testHeaderCountsAreUnknownUntilFetchedAndKeptWhenARefreshFails() {
        var fresh = ConsoleState()
        _ = ConsoleUpdate.update(&fresh, .tick(Fixtures.now))
        _ = ConsoleUpdate.update(&fresh, .resize(width: 160, height: 45))
        _ = ConsoleUpdate.update(&fresh, .countsLoaded(.failure(AppError(.forbidden, "this operation requires ROLE_ADMIN"))))
        XCTAssertTrue(header(fresh).contains("PAID – "), header(fresh))
        XCTAssertFalse(header(fresh).contains(" 0 "), "an unknown count is not 0: \(header(fresh))")

        var state = Fixtures.state()
        _ = ConsoleUpdate.update(&state, .countsLoaded(.failure(AppError(.rateLimited, "rate limit exceeded; retry in 3 s", retryAfter: 3))))
        XCTAssertEqual(state.orderCounts?[.paid], 30, "the last known counts stay")
        XCTAssertTrue(header(state).contains("PAID 30"), header(state))
        XCTAssertFalse(tick(&state, 2).contains(.loadCounts), "not before Retry-After")
        XCTAssertTrue(tick(&state, 3).contains(.loadCounts), "fetched again by itself")
    }

    func testNewOrderSaysWhyItCannotOpenAndOpensOnceTheFetchesWork() {
        var state = Fixtures.state()
        XCTAssertEqual(Fixtures.press(&state, .char("n")), [.loadCatalog, .loadPickerUsers])
        _ = ConsoleUpdate.update(&state, .catalogLoaded(.failure(AppError(.unavailable, "ORDER-SERVICE is down"))))
        _ = ConsoleUpdate.update(&state, .pickerUsersLoaded(.failure(AppError(.unavailable, "AUTH-SERVICE is down"))))
        XCTAssertEqual(state.toasts.map(\.text), ["can't open the order form: products: ORDER-SERVICE is down"], "said once")
        XCTAssertTrue(state.toasts.allSatisfy(\.isError))
        XCTAssertFalse(state.awaitingOrderForm)
        XCTAssertTrue(ConsoleView.render(state).text.contains("can't open the order form"))

        // Back again: n fetches afresh and the form opens.
        XCTAssertEqual(Fixtures.press(&state, .char("n")), [.loadCatalog, .loadPickerUsers])
        _ = ConsoleUpdate.update(&state, .pickerUsersLoaded(.success(Fixtures.users)))
        XCTAssertNil(state.topOverlay, "waits for the catalog too")
        _ = ConsoleUpdate.update(&state, .catalogLoaded(.success(Fixtures.products)))
        guard case .form(let form)? = state.topOverlay else { return XCTFail("no form: \(String(describing: state.topOverlay))") }
        XCTAssertEqual(form.kind, .placeOrder)
    }

    func testNewOrderWithNothingToSellSaysSo() {
        var state = Fixtures.state()
        Fixtures.press(&state, .char("n"))
        _ = ConsoleUpdate.update(&state, .catalogLoaded(.success([])))
        _ = ConsoleUpdate.update(&state, .pickerUsersLoaded(.success(Fixtures.users)))
        XCTAssertNil(state.topOverlay)
        XCTAssertEqual(state.toasts.last?.text, "can't open the order form: no active products")
    }
}
