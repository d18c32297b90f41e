import Foundation
import GRDB

/// Bulk rows for benchmarks: `count` orders (one item each) and their payments, written by SQL in
/// one transaction per file, so a million-order data dir takes seconds, not the hours the full
/// flow would. The triggers keep the status counts as for any other insert.
public enum BenchmarkFill {
    public static func orders(dataDirectory: String, count: Int, users: Int, at date: Date = Date()) throws {
        let at = date.timeIntervalSince1970
        let orders = try DatabaseQueue(path: (dataDirectory as NSString).appendingPathComponent("orders.sqlite"))
        try orders.write { db in
            try db.execute(sql: """
                WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
                INSERT INTO orders (order_number, user_id, status, total_minor, shipping_address, payment_method, failure_reason, created_at, updated_at)
                SELECT 'bench-' || i, 1 + i % ?,
                       CASE i % 10 WHEN 0 THEN 'FAILED' WHEN 1 THEN 'CANCELLED' WHEN 2 THEN 'COMPLETED' ELSE 'PAID' END,
                       8990 * (1 + i % 3), 'Seoul', 'CREDIT_CARD', CASE i % 10 WHEN 0 THEN 'card declined' END, ? + i * 0.001, ? + i * 0.001
                FROM seq;
                INSERT INTO order_items (order_id, product_id, sku, product_name, quantity, unit_price_minor, subtotal_minor)
                SELECT id, 1, 'KB-001', 'Mechanical Keyboard', 1 + id % 3, 8990, 8990 * (1 + id % 3) FROM orders WHERE order_number LIKE 'bench-%';
                """, arguments: [count, max(1, users), at, at])
        }
        let payments = try DatabaseQueue(path: (dataDirectory as NSString).appendingPathComponent("payments.sqlite"))
        try payments.write { db in
            try db.execute(sql: """
                WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
                INSERT INTO payments (order_id, user_id, amount_minor, status, payment_method, payment_token, order_status, attempts, failure_reason, created_at, updated_at)
                SELECT i, 1 + i % ?, 8990 * (1 + i % 3),
                       CASE i % 10 WHEN 0 THEN 'FAILED' WHEN 1 THEN 'REFUNDED' ELSE 'SUCCESS' END,
                       'CREDIT_CARD', 'tok_visa', 'PAID', 1, CASE i % 10 WHEN 0 THEN 'card declined' END, ? + i * 0.001, ? + i * 0.001
                FROM seq;
                """, arguments: [count, max(1, users), at, at])
        }
    }
}
