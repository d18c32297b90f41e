import Foundation
import OrderPayConsole
import OrderPayCore
import XCTest

/// The event detail overlay shows the event's JSON; its money is exact decimal, as everywhere
/// in OrderPay, never a binary floating-point number's rendering of it.
final class EventDetailMoneyTests: XCTestCase {
    func detail(_ payload: EventPayload) -> String {
        var state = Fixtures.state(width: 120, height: 40)
        _ = ConsoleUpdate.update(&state, .events([Fixtures.event(4, payload)]))
        Fixtures.press(&state, .char("4"), .enter)
        return ConsoleView.render(state).text
    }

    func testAmountsShowAsTheirExactDecimalText() {
        // 2^53 + 1 cents: a Double cannot hold it, so any trip through one changes the digits.
        let large = Money(minorUnits: 9_007_199_254_740_993)
        let created = detail(.orderCreated(OrderCreated(orderId: 7, orderNumber: "0190-7", userId: 2, totalAmount: large,
                                                        paymentMethod: .creditCard, paymentToken: "tok_ok")))
        XCTAssertTrue(created.contains(#""totalAmount" : 90071992547409.93"#), created)

        // Whole and ten-cent amounts keep their two decimals, as the panes show them.
        let processed = detail(.paymentProcessed(PaymentProcessed(orderId: 7, paymentId: 9, amount: Money("20")!, status: .success,
                                                                  failureReason: nil, attempt: 1)))
        XCTAssertTrue(processed.contains(#""amount" : 20.00"#), processed)
        let tenCents = detail(.paymentProcessed(PaymentProcessed(orderId: 7, paymentId: 9, amount: Money("19.90")!, status: .success,
                                                                 failureReason: nil, attempt: 1)))
        XCTAssertTrue(tenCents.contains(#""amount" : 19.90"#), tenCents)
    }
}
