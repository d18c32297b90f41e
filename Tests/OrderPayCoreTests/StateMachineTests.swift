import OrderPayCore
import XCTest

final class StateMachineTests: XCTestCase {
    func testOrderTransitionsAreExactlyTheDocumentedOnes() {
        let allowed: Set<String> = ["CREATED>PENDING", "PENDING>PAID", "PAID>COMPLETED", "PENDING>FAILED", "FAILED>PENDING",
                                    "CREATED>CANCELLED", "PENDING>CANCELLED", "FAILED>CANCELLED"]
        for from in OrderStatus.allCases {
            for to in OrderStatus.allCases {
                XCTAssertEqual(from.canMove(to: to), allowed.contains("\(from.rawValue)>\(to.rawValue)"), "\(from) → \(to)")
            }
        }
    }

    func testPaidAndCompletedOrdersAreCancelledOnlyThroughARefund() {
        XCTAssertFalse(OrderStatus.paid.canMove(to: .cancelled))
        XCTAssertTrue(OrderStatus.paid.canMove(to: .cancelled, cause: .refund))
        XCTAssertFalse(OrderStatus.completed.canMove(to: .cancelled))
        XCTAssertTrue(OrderStatus.completed.canMove(to: .cancelled, cause: .refund))
        XCTAssertFalse(OrderStatus.failed.canMove(to: .paid, cause: .refund))
    }

    func testEventEnvelopeRoundTripsThroughJSON() throws {
        let draft = EventDraft(occurredAt: Date(timeIntervalSince1970: 1_767_225_600.125), traceId: "trace-1", payload: .paymentProcessed(
            PaymentProcessed(orderId: 7, paymentId: 9, amount: Money("19.99")!, status: .failed, failureReason: "card declined", attempt: 1)))
        let envelope = EventEnvelope(draft: draft, offset: 42)
        let json = try JSONCoding.encoder.encode(envelope)
        let text = String(decoding: json, as: UTF8.self)
        XCTAssertTrue(text.contains(#""amount":19.99"#), text)
        XCTAssertTrue(text.contains(#""type":"PaymentProcessed""#), text)
        XCTAssertTrue(text.contains(#""key":"7""#), text)
        XCTAssertEqual(try JSONCoding.decoder.decode(EventEnvelope.self, from: json), envelope)
    }

    func testValidatorReportsEveryField() {
        var v = Validator()
        v.check(false, "a", "a is wrong")
        v.check(true, "b", "b is fine")
        v.check(false, "c", "c is wrong")
        XCTAssertThrowsError(try v.throwIfInvalid()) { error in
            let appError = error as? AppError
            XCTAssertEqual(appError?.kind, .validation)
            XCTAssertEqual(appError?.fieldErrors.map(\.field), ["a", "c"])
        }
    }
}

final class TimeOrderedIDTests: XCTestCase {
    func testIdsAreVersion7UUIDsThatSortByTime() {
        let early = TimeOrderedID.make(at: Date(timeIntervalSince1970: 1_700_000_000))
        let late = TimeOrderedID.make(at: Date(timeIntervalSince1970: 1_700_000_001))
        XCTAssertNotNil(UUID(uuidString: early))
        XCTAssertEqual(Array(early)[14], "7")
        XCTAssertTrue("89ab".contains(Array(early)[19]))
        XCTAssertLessThan(early, late)
        XCTAssertNotEqual(TimeOrderedID.make(), TimeOrderedID.make())
        XCTAssertEqual(Set((0..<10_000).map { _ in TimeOrderedID.make() }).count, 10_000)
    }
}
