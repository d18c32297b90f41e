import Foundation
@testable import OrderPayStore
import OrderPayCore
import XCTest

/// The relay's memory of committed outbox rows: only ever an unbroken run from the cursor on, and
/// never a row the outbox no longer has.
final class RecentOutboxTests: XCTestCase {
    private func rows(_ ids: [Int64]) -> [OutboxRow] {
        ids.map { id in
            (id, SerializedEvent(eventId: "event-\(id)", topic: .orderStatusUpdated, type: "OrderStatusUpdated", key: "1",
                                 payload: "{}", occurredAt: Date(timeIntervalSince1970: 0), traceId: nil))
        }
    }

    func testServesOnlyAnUnbrokenRunFromTheCursor() {
        let recent = RecentOutbox()
        recent.record(rows([1, 2, 3, 5, 6]))   // 4 committed elsewhere (another process), or not yet recorded
        XCTAssertEqual(recent.pending(after: 0, limit: 10)?.map(\.id), [1, 2, 3])
        XCTAssertEqual(recent.pending(after: 1, limit: 1)?.map(\.id), [2])
        XCTAssertNil(recent.pending(after: 3, limit: 10), "row 4 is not here: the relay must read the table")
        XCTAssertEqual(recent.pending(after: 4, limit: 10)?.map(\.id), [5, 6])
        XCTAssertNil(recent.pending(after: 6, limit: 10))
        XCTAssertEqual(recent.pending(after: 0, limit: 10)?.first?.event.eventId, "event-1")
    }

    func testRemovedRowsAreNeverServedAgain() {
        let recent = RecentOutbox()
        recent.record(rows([1, 2, 3, 4]))
        recent.removed(upTo: 2)
        // The Kafka relay asks for everything still in the outbox: rows after 0.
        XCTAssertEqual(recent.pending(after: 0, limit: 10)?.map(\.id), [3, 4])
        recent.removed(upTo: 4)
        XCTAssertNil(recent.pending(after: 0, limit: 10))
        recent.record(rows([5]))
        XCTAssertEqual(recent.pending(after: 0, limit: 10)?.map(\.id), [5])
    }

    func testOldRowsAgeOut() {
        let recent = RecentOutbox(capacity: 2)
        recent.record(rows([1, 2, 3]))
        XCTAssertNil(recent.pending(after: 0, limit: 10), "row 1 aged out: the table has it")
        XCTAssertEqual(recent.pending(after: 1, limit: 10)?.map(\.id), [2, 3])
    }
}
