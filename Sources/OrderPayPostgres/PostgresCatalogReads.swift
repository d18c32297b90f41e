import Foundation
import OrderPayCore
import PostgresNIO

/// Coalesced catalog reads: every placement prices its items from the catalog, and under load
/// those lookups were the one statement still paid per order. Lookups that arrive while one is
/// running share the next query; a lone lookup runs at once. Always a fresh read (no cache), so a
/// price change is seen by the next lookup that starts after it commits.
final class PostgresCatalogReads: @unchecked Sendable {
    private struct Waiter {
        let ids: [Int64]
        let continuation: CheckedContinuation<[Int64: Product], Error>
    }

    private let database: PostgresDatabase
    private let lock = NSLock()
    private var waiting: [Waiter] = []
    private var reading = false

    init(database: PostgresDatabase) { self.database = database }

    func products(ids: [Int64]) async throws -> [Int64: Product] {
        try await withCheckedThrowingContinuation { continuation in
            let start: Bool = lock.withLock {
                waiting.append(Waiter(ids: ids, continuation: continuation))
                if reading { return false }
                reading = true
                return true
            }
            if start { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let batch: [Waiter] = lock.withLock {
                let batch = waiting
                waiting.removeAll()
                if batch.isEmpty { reading = false }
                return batch
            }
            if batch.isEmpty { return }
            let ids = Array(Set(batch.flatMap(\.ids))).sorted()
            do {
                let rows = try await database.rows("""
                    SELECT id, sku, name, unit_price::text AS unit_price, active FROM orders.products WHERE id = ANY(\(ids))
                    """)
                var found: [Int64: Product] = [:]
                for row in rows {
                    let product = try PostgresOrderStore.product(row)
                    found[product.id] = product
                }
                for waiter in batch {
                    waiter.continuation.resume(returning: found.filter { waiter.ids.contains($0.key) })
                }
            } catch {
                for waiter in batch { waiter.continuation.resume(throwing: error) }
            }
        }
    }
}
