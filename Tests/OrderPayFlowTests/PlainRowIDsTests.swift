import Foundation
import GRDB
@testable import OrderPayStore
import OrderPayCore
import OrderPayServices
import OrderPayTestSupport
import XCTest

/// A data dir made before the hot tables dropped AUTOINCREMENT: the migration keeps every row,
/// id, index and trigger, and ids go on from the largest.
final class PlainRowIDsTests: XCTestCase {
    func testOldOrdersDatabaseKeepsItsRowsIdsIndexesAndTriggers() async throws {
        let directory = try temporaryDirectory("plain-rowids")
        let path = directory.appendingPathComponent("orders.sqlite").path

        // The schema as it was before "v3-plain-rowids", with rows whose ids have gaps.
        let old = try DatabaseQueue(path: path)
        try SQLiteOrderStore.migrator.migrate(old, upTo: "v2-status-counts")
        try await old.write { db in
            try db.execute(sql: "INSERT INTO products (id, sku, name, unit_price_minor) VALUES (1, 'A-1', 'A', 1999)")
            for id in [3, 7] {
                try db.execute(sql: """
                    INSERT INTO orders (id, order_number, user_id, status, total_minor, shipping_address, payment_method, created_at, updated_at)
                    VALUES (?, ?, 1, 'PAID', 1999, 'here', 'CREDIT_CARD', 0, 0)
                    """, arguments: [id, "number-\(id)"])
                try db.execute(sql: """
                    INSERT INTO order_items (order_id, product_id, sku, product_name, quantity, unit_price_minor, subtotal_minor)
                    VALUES (?, 1, 'A-1', 'A', 1, 1999, 1999)
                    """, arguments: [id])
            }
        }
        try old.close()

        let store = try SQLiteOrderStore(path: path)
        let counts = try await store.pool.read { db -> (String, [String], [Int64], Int, String) in
            (try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'orders'") ?? "",
             try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE tbl_name = 'orders' AND type IN ('index', 'trigger') ORDER BY name"),
             try Int64.fetchAll(db, sql: "SELECT id FROM orders ORDER BY id"),
             try Int.fetchOne(db, sql: "SELECT n FROM orders_status_counts WHERE status = 'PAID'") ?? 0,
             try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "")
        }
        XCTAssertFalse(counts.0.contains("AUTOINCREMENT"))
        XCTAssertEqual(counts.1, ["orders_by_status", "orders_by_user", "orders_counted_delete", "orders_counted_insert", "orders_counted_update",
                                  "sqlite_autoindex_orders_1", "sqlite_autoindex_orders_2"])
        XCTAssertEqual(counts.2, [3, 7])
        XCTAssertEqual(counts.3, 2)
        XCTAssertEqual(counts.4, "ok")

        // A new order continues after the largest id; its items and the status counts follow.
        let product = try await store.pool.read { db in try Int64.fetchOne(db, sql: "SELECT id FROM products") } ?? 0
        let item = OrderItem(productId: product, sku: "A-1", productName: "A", quantity: 2, unitPrice: Money("19.99")!, subtotal: Money("39.98")!)
        let placed = try await store.insert(NewOrder(orderNumber: "number-new", userId: 1, totalAmount: Money("39.98")!, shippingAddress: "there",
                                                     paymentMethod: .creditCard, items: [item], idempotencyKey: nil, createdAt: Date()),
                                            history: OrderHistoryEntry(from: nil, to: .created, reason: "placed", actor: "test", at: Date()),
                                            events: { _ in [] })
        XCTAssertEqual(placed.order.id, 8)
        let reread = try await store.order(id: 8)
        XCTAssertEqual(reread?.orderItems.map(\.quantity), [2])
        let created = try await store.countByStatus()
        XCTAssertEqual(created[.created], 1)
        XCTAssertEqual(created[.paid], 2)
    }
}
