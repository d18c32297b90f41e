import Foundation
import Logging
import OrderPayCore
import OrderPayServices
import PostgresNIO

/// Group placement: orders placed while a placement transaction is running go into the next one
/// together, written with one multi-row statement per table. Under light load an order is placed
/// alone at once; under load N placements share one commit and a handful of round trips instead of
/// paying ~7 each (round trips, not rows, were what the flow benchmark spent its time on). If a
/// batch fails, its orders are placed one by one, so one bad order fails alone.
final class PostgresPlacements: @unchecked Sendable {
    struct Job {
        let order: NewOrder
        let history: OrderHistoryEntry
        let events: @Sendable (Order) throws -> [EventDraft]
        let finish: (Result<(Order, Bool), Error>) -> Void
    }

    private let database: PostgresDatabase
    private let outbox: PostgresOutbox
    private let lock = NSLock()
    private var queued: [Job] = []
    private var draining = false
    let maximumBatch = 256

    init(database: PostgresDatabase, outbox: PostgresOutbox) {
        self.database = database
        self.outbox = outbox
    }

    func place(_ order: NewOrder, history: OrderHistoryEntry,
               events: @escaping @Sendable (Order) throws -> [EventDraft]) async throws -> (order: Order, created: Bool) {
        let (order, created) = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Order, Bool), Error>) in
            let job = Job(order: order, history: history, events: events, finish: { continuation.resume(with: $0) })
            let start: Bool = lock.withLock {
                queued.append(job)
                if draining { return false }
                draining = true
                return true
            }
            if start { Task { await self.drain() } }
        }
        return (order, created)
    }

    private func drain() async {
        while true {
            let jobs: [Job] = lock.withLock {
                let batch = Array(queued.prefix(maximumBatch))
                queued.removeFirst(batch.count)
                if batch.isEmpty { draining = false }
                return batch
            }
            if jobs.isEmpty { return }
            do {
                let results = try await write(jobs)
                for (job, result) in zip(jobs, results) { job.finish(.success(result)) }
            } catch where jobs.count > 1 {
                for job in jobs {
                    do { job.finish(.success(try await write([job])[0])) } catch { job.finish(.failure(error)) }
                }
            } catch {
                jobs[0].finish(.failure(error))
            }
        }
    }

    /// One transaction for the batch: orders, items, history, outbox, each one statement.
    private func write(_ jobs: [Job]) async throws -> [(Order, Bool)] {
        let logger = database.logger, outbox = self.outbox
        return try await database.transaction { connection in
            let orders = jobs.map(\.order)
            // ON CONFLICT waits for a concurrent placement with the same key, then yields to it;
            // a repeat of a key within this batch yields to the first.
            var idByNumber: [String: Int64] = [:]
            for row in try await connection.rows("""
                INSERT INTO orders.orders (order_number, user_id, status, total_amount, shipping_address, payment_method,
                                           idempotency_key, created_at, updated_at)
                SELECT order_number, user_id, \(OrderStatus.created.rawValue), total::numeric, address, method, NULLIF(key, ''), at, at
                FROM unnest(\(orders.map(\.orderNumber)), \(orders.map(\.userId)), \(orders.map(\.totalAmount.description)),
                            \(orders.map(\.shippingAddress)), \(orders.map(\.paymentMethod.rawValue)),
                            \(orders.map { $0.idempotencyKey ?? "" }), \(orders.map(\.createdAt)))
                     WITH ORDINALITY AS o(order_number, user_id, total, address, method, key, at, n)
                ORDER BY n
                ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING id, order_number
                """, logger: logger) {
                idByNumber[try row.value("order_number")] = try row.value("id")
            }
            var results: [(Order, Bool)?] = Array(repeating: nil, count: jobs.count)
            var created: [(index: Int, order: Order)] = []
            for (index, job) in jobs.enumerated() {
                guard let id = idByNumber[job.order.orderNumber] else { continue }
                let new = job.order
                let order = Order(id: id, orderNumber: new.orderNumber, userId: new.userId, status: .created,
                                  totalAmount: new.totalAmount, shippingAddress: new.shippingAddress,
                                  paymentMethod: new.paymentMethod, orderItems: new.items,
                                  createdAt: new.createdAt, updatedAt: new.createdAt)
                results[index] = (order, true)
                created.append((index, order))
            }
            let items = created.flatMap { entry in entry.order.orderItems.map { (entry.order.id, $0) } }
            if !items.isEmpty {
                let rows = items.map(\.1)
                try await connection.queryIfOpen("""
                    INSERT INTO orders.order_items (order_id, product_id, sku, product_name, quantity, unit_price, subtotal)
                    SELECT order_id, product_id, sku, product_name, quantity, unit_price::numeric, subtotal::numeric
                    FROM unnest(\(items.map(\.0)), \(rows.map(\.productId)), \(rows.map(\.sku)), \(rows.map(\.productName)),
                                \(rows.map(\.quantity)), \(rows.map(\.unitPrice.description)), \(rows.map(\.subtotal.description)))
                         WITH ORDINALITY AS i(order_id, product_id, sku, product_name, quantity, unit_price, subtotal, n)
                    ORDER BY n
                    """, logger: logger)
            }
            // Placements that met an existing key get that order, read after the items above: the
            // order may be one this batch just created, and its items are part of the answer.
            for (index, job) in jobs.enumerated() where results[index] == nil {
                let existing = try await connection.rows("""
                    SELECT \(unescaped: PostgresOrderStore.orderColumns) FROM orders.orders
                    WHERE user_id = \(job.order.userId) AND idempotency_key = \(job.order.idempotencyKey)
                    """, logger: logger)
                guard let order = try await PostgresOrderStore.orders(connection, existing, logger: logger).first else {
                    throw AppError(.unavailable, "order \(job.order.orderNumber) was neither inserted nor found")
                }
                results[index] = (order, false)
            }
            try await PostgresOrderStore.appendHistory(connection, created.map { ($0.order.id, jobs[$0.index].history) }, logger: logger)
            try await outbox.enqueue(connection, try created.flatMap { try jobs[$0.index].events($0.order) }, logger: logger)
            return results.map { $0! }
        }
    }
}
