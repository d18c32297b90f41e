import Foundation
import Logging
import NIOConcurrencyHelpers
import OrderPayCore
import OrderPayServices
import OrderPayStore
import OrderPayTestSupport
import XCTest

/// The consumers' shared delivery policy: an event that fails on its own account becomes a dead
/// letter after its attempts; one whose store is out of reach for now waits for it instead.
final class EventDeliveryTests: XCTestCase {
    private func event() -> EventEnvelope {
        EventEnvelope(draft: EventDraft(occurredAt: Date(), payload: .orderCreated(OrderCreated(
            orderId: 1, orderNumber: "n-1", userId: 1, totalAmount: Money("1.00")!, paymentMethod: .paypal, paymentToken: "tok_visa"))),
                      offset: 0)
    }

    private func deliver(maxAttempts: Int, failure: @escaping @Sendable (Int) -> Error?) async throws -> (calls: Int, deadLetters: [DeadLetter]) {
        let log = try SQLiteEventLog(path: try temporaryDirectory("delivery").appendingPathComponent("events.sqlite").path)
        let calls = NIOLockedValueBox(0)
        let delivered = await EventDelivery.deliverWithRetries(event(), group: "payment-service", maxAttempts: maxAttempts, handler: { _ in
            let call = calls.withLockedValue { $0 += 1; return $0 }
            if let error = failure(call) { throw error }
        }, deadLetters: log, logger: Logger(label: "delivery-test"))
        XCTAssertTrue(delivered)
        return (calls.withLockedValue { $0 }, try await log.deadLetters(includeReplayed: true))
    }

    /// A database stalled longer than the attempts last (a table locked for a minute) turned live
    /// orders into dead letters, which stayed CREATED until replayed by hand.
    func testAStoreOutOfReachForNowUsesNoAttempt() async throws {
        let (calls, letters) = try await deliver(maxAttempts: 2) { call in
            call <= 5 ? AppError(.unavailable, "PostgreSQL did not answer within 5 s", retryAfter: 1) : nil
        }
        XCTAssertEqual(calls, 6)
        XCTAssertEqual(letters.count, 0)
    }

    func testAnEventThatFailsOnItsOwnAccountIsADeadLetterAfterItsAttempts() async throws {
        let (calls, letters) = try await deliver(maxAttempts: 3) { call in
            // Transient failures in between use none of the three attempts.
            call == 2 ? AppError(.unavailable, "PostgreSQL unreachable", retryAfter: 1) : AppError.validation("unreadable", field: "payload")
        }
        XCTAssertEqual(calls, 4)
        XCTAssertEqual(letters.count, 1)
        XCTAssertEqual(letters.first?.attempts, 3)
        XCTAssertTrue(letters.first?.error.contains("unreadable") ?? false, "\(letters)")
    }
}
