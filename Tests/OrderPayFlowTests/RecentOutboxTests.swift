import Foundation
@testable import OrderPayStore
import OrderPayCore
import OrderPayServices
import OrderPayTestSupport
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
        recent.record(rows([1, 2, 3, 5, 6]), waking: Signal())   // 4 committed elsewhere (another process), or not yet recorded
        XCTAssertEqual(recent.pending(after: 0, limit: 10)?.map(\.id), [1, 2, 3])
        XCTAssertEqual(recent.pending(after: 1, limit: 1)?.map(\.id), [2])
        XCTAssertNil(recent.pending(after: 3, limit: 10), "row 4 is not here: the relay must read the table")
        XCTAssertEqual(recent.pending(after: 4, limit: 10)?.map(\.id), [5, 6])
        XCTAssertNil(recent.pending(after: 6, limit: 10))
        XCTAssertEqual(recent.pending(after: 0, limit: 10)?.first?.event.eventId, "event-1")
    }

    func testOldRowsAgeOut() {
        let recent = RecentOutbox(capacity: 2)
        recent.record(rows([1, 2, 3]), waking: Signal())
        XCTAssertNil(recent.pending(after: 0, limit: 10), "row 1 aged out: the table has it")
        XCTAssertEqual(recent.pending(after: 1, limit: 10)?.map(\.id), [2, 3])
    }
}

/// Two stores on one orders database, standing in for two processes: rows one of them deleted
/// (a Kafka relay deletes what it sent) are never served again from the other's memory.
final class SharedOutboxTests: XCTestCase {
    func testRowsAnotherStoreDeletedAreNotServedFromMemory() async throws {
        let directory = try temporaryDirectory("shared-outbox")
        let path = directory.appendingPathComponent("orders.sqlite").path
        let writer = try SQLiteOrderStore(path: path)
        let other = try SQLiteOrderStore(path: path)
        let product = try await writer.insertProduct(sku: "A-1", name: "A", unitPrice: Money("19.99")!, active: true)

        func place(_ number: String) async throws {
            let item = OrderItem(productId: product.id, sku: "A-1", productName: "A", quantity: 1, unitPrice: product.unitPrice, subtotal: product.unitPrice)
            _ = try await writer.insert(NewOrder(orderNumber: number, userId: 1, totalAmount: product.unitPrice, shippingAddress: "here",
                                                 paymentMethod: .creditCard, items: [item], idempotencyKey: nil, createdAt: Date()),
                                        history: OrderHistoryEntry(from: nil, to: .created, reason: "placed", actor: "test", at: Date())) { order in
                [EventDraft(occurredAt: Date(), payload: .orderCreated(OrderCreated(orderId: order.id, orderNumber: number, userId: 1,
                                                                                    totalAmount: order.totalAmount, paymentMethod: .creditCard,
                                                                                    paymentToken: "tok_visa")))]
            }
        }
        try await place("first")
        try await place("second")
        let sent = try await writer.pendingEvents(after: 0, limit: 10)
        XCTAssertEqual(sent.count, 2)
        try await other.removeEvents(upTo: sent[1].id)   // the other process sent and deleted them
        let left = try await writer.pendingEvents(after: 0, limit: 10)
        XCTAssertEqual(left.map(\.id), [])
        try await place("third")
        let third = try await writer.pendingEvents(after: 0, limit: 10)
        XCTAssertEqual(third.map(\.id), [sent[1].id + 1])
        let seenByOther = try await other.pendingEvents(after: 0, limit: 10)
        XCTAssertEqual(seenByOther.map(\.id), [sent[1].id + 1])
    }
}
