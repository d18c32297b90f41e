import Foundation
import GRDB
import OrderPayCore
import OrderPayServices
import OrderPayStore
import OrderPayTestSupport
import XCTest

/// Orders placed at once share one commit; one that fails halfway leaves nothing behind and
/// does not take the others with it. A write that finds the database locked fails, and leaves
/// the store usable.
final class GroupCommitTests: XCTestCase {
    struct Refused: Error {}

    func newOrder(_ number: String, _ product: Product) -> NewOrder {
        let item = OrderItem(productId: product.id, sku: product.sku, productName: product.name, quantity: 1, unitPrice: product.unitPrice, subtotal: product.unitPrice)
        return NewOrder(orderNumber: number, userId: 1, totalAmount: product.unitPrice, shippingAddress: "here",
                        paymentMethod: .creditCard, items: [item], idempotencyKey: nil, createdAt: Date())
    }

    func testAWriteFindingTheDatabaseLockedFailsAndTheStoreRecovers() async throws {
        let directory = try temporaryDirectory("locked")
        let path = directory.appendingPathComponent("orders.sqlite").path
        var settings = SQLiteDatabase.Settings()
        settings.busyTimeout = 0.2
        let store = try SQLiteOrderStore(path: path, settings: settings)
        let product = try await store.insertProduct(sku: "A-1", name: "A", unitPrice: Money("19.99")!, active: true)
        let history = OrderHistoryEntry(from: nil, to: .created, reason: "placed", actor: "test", at: Date())

        // Another process (here: another connection) holds the write lock past the busy timeout.
        var holding = Configuration()
        holding.allowsUnsafeTransactions = true   // the lock is held across two accesses
        let other = try DatabaseQueue(path: path, configuration: holding)
        try await other.writeWithoutTransaction { try $0.execute(sql: "BEGIN IMMEDIATE") }
        do {
            _ = try await store.insert(newOrder("blocked", product), history: history) { _ in [] }
            XCTFail("the write went through a held lock")
        } catch let error as DatabaseError {
            XCTAssertEqual(error.resultCode, .SQLITE_BUSY, "\(error)")
        }
        try await other.writeWithoutTransaction { try $0.execute(sql: "COMMIT") }

        let placed = try await store.insert(newOrder("after", product), history: history) { _ in [] }
        let stored = try await store.list(OrderFilter(), page: PageRequest(page: 0, size: 10))
        XCTAssertEqual(stored.content.map { $0.orderNumber }, ["after"])
        XCTAssertEqual(placed.order.orderNumber, "after")
    }

    func testAnOrderFailingHalfwayIsUndoneAloneAndTheOthersCommit() async throws {
        let directory = try temporaryDirectory("group-commit")
        let store = try SQLiteOrderStore(path: directory.appendingPathComponent("orders.sqlite").path)
        let product = try await store.insertProduct(sku: "A-1", name: "A", unitPrice: Money("19.99")!, active: true)

        /// Order `number` 13 fails after its row, item and history were written (its events cannot be made).
        func place(_ number: Int) async throws -> Order {
            return try await store.insert(newOrder("order-\(number)", product), history: OrderHistoryEntry(from: nil, to: .created, reason: "placed", actor: "test", at: Date())) { order in
                if number == 13 { throw Refused() }
                return [EventDraft(occurredAt: Date(), payload: .orderCreated(OrderCreated(
                    orderId: order.id, orderNumber: order.orderNumber, userId: 1, totalAmount: order.totalAmount,
                    paymentMethod: .creditCard, paymentToken: "tok_visa")))]
            }.order
        }

        let outcomes = await withTaskGroup(of: (Int, Result<Order, Error>).self) { group in
            for number in 1...40 {
                group.addTask {
                    do { return (number, .success(try await place(number))) } catch { return (number, .failure(error)) }
                }
            }
            return await group.reduce(into: [Int: Result<Order, Error>]()) { $0[$1.0] = $1.1 }
        }

        XCTAssertThrowsError(try outcomes[13]!.get()) { XCTAssertTrue($0 is Refused, "\($0)") }
        let placed = try outcomes.filter { $0.key != 13 }.map { try $0.value.get() }
        XCTAssertEqual(placed.count, 39)
        let stored = try await store.list(OrderFilter(), page: PageRequest(page: 0, size: 100))
        XCTAssertEqual(Set(stored.content.map { $0.orderNumber }), Set(placed.map { $0.orderNumber }), "order-13 left no row")
        XCTAssertEqual(stored.totalElements, 39)
        for order in placed {
            let history = try await store.history(orderId: order.id)
            XCTAssertEqual(history.map { $0.to }, [OrderStatus.created], "order \(order.orderNumber)")
        }
        let events = try await store.pendingEvents(after: 0, limit: 100)
        XCTAssertEqual(events.count, 39, "one order-created per committed order, none for order-13")
    }
}
