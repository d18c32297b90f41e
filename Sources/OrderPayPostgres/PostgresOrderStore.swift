import Foundation
import Logging
import OrderPayCore
import OrderPayServices
import OrderPayStore
import PostgresNIO

/// The order service's tables in schema `orders`: catalog, orders, items, history, outbox.
/// Several instances may share it: status changes lock the order row (SELECT … FOR UPDATE), and
/// uniqueness (order numbers, idempotency keys, SKUs) is enforced by constraints.
public final class PostgresOrderStore: OrderRepository, OutboxSource, @unchecked Sendable {
    public let name = "orders"
    public let outboxSignal = Signal()
    let database: PostgresDatabase
    let outbox = PostgresOutbox(schema: "orders")
    /// Orders are placed one request at a time; concurrent placements share a transaction.
    let placements: PostgresPlacements
    /// Placements price their items here; lookups that arrive together share one query.
    let catalogReads: CoalescedLookup<Int64, Product>
    var logger: Logger { database.logger }

    public static func open(_ database: PostgresDatabase) async throws -> PostgresOrderStore {
        let store = PostgresOrderStore(database: database)
        try await store.migrations.apply(on: database)
        return store
    }

    init(database: PostgresDatabase) {
        self.database = database
        placements = PostgresPlacements(database: database, outbox: outbox)
        catalogReads = CoalescedLookup { [database] ids in
            var found: [Int64: Product] = [:]
            for row in try await database.read("""
                SELECT id, sku, name, unit_price::text AS unit_price, active FROM orders.products WHERE id = ANY(\(ids))
                """) {
                let product = try PostgresOrderStore.product(row)
                found[product.id] = product
            }
            return found
        }
    }

    var migrations: PostgresMigrations {
        var migrations = PostgresMigrations(schema: "orders")
        migrations.add("v1", [
            """
            CREATE TABLE orders.products (
                id BIGSERIAL PRIMARY KEY, sku TEXT NOT NULL, name TEXT NOT NULL,
                unit_price NUMERIC(19, 2) NOT NULL CHECK (unit_price > 0), active BOOLEAN NOT NULL DEFAULT TRUE)
            """,
            "CREATE UNIQUE INDEX products_sku ON orders.products (lower(sku))",
            """
            CREATE TABLE orders.orders (
                id BIGSERIAL PRIMARY KEY, order_number TEXT NOT NULL UNIQUE, user_id BIGINT NOT NULL, status TEXT NOT NULL,
                total_amount NUMERIC(19, 2) NOT NULL, shipping_address TEXT NOT NULL, payment_method TEXT NOT NULL,
                failure_reason TEXT, payment_attempt INTEGER NOT NULL DEFAULT 0, idempotency_key TEXT,
                created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL, UNIQUE (user_id, idempotency_key))
            """,
            "CREATE INDEX orders_by_user ON orders.orders (user_id, id)",
            "CREATE INDEX orders_by_status ON orders.orders (status, id)",
            """
            CREATE TABLE orders.order_items (
                id BIGSERIAL PRIMARY KEY, order_id BIGINT NOT NULL REFERENCES orders.orders(id), product_id BIGINT NOT NULL,
                sku TEXT NOT NULL, product_name TEXT NOT NULL, quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 999),
                unit_price NUMERIC(19, 2) NOT NULL, subtotal NUMERIC(19, 2) NOT NULL)
            """,
            "CREATE INDEX order_items_by_order ON orders.order_items (order_id)",
            """
            CREATE TABLE orders.order_history (
                id BIGSERIAL PRIMARY KEY, order_id BIGINT NOT NULL REFERENCES orders.orders(id), from_status TEXT,
                to_status TEXT NOT NULL, reason TEXT, actor TEXT NOT NULL, at TIMESTAMPTZ NOT NULL)
            """,
            "CREATE INDEX order_history_by_order ON orders.order_history (order_id, id)",
        ] + outbox.migration)
        migrations.add("v2-relay-lease", outbox.leaseMigration)
        return migrations
    }

    static let orderColumns = """
        id, order_number, user_id, status, total_amount::text AS total_amount, shipping_address, payment_method,
        failure_reason, payment_attempt, created_at, updated_at
        """

    // MARK: Catalog

    public func insertProduct(sku: String, name: String, unitPrice: Money, active: Bool) async throws -> Product {
        let rows = try await conflictAs("a product with sku \(sku) already exists") {
            try await database.rows("""
                INSERT INTO orders.products (sku, name, unit_price, active)
                VALUES (\(sku), \(name), \(unitPrice.description)::numeric, \(active)) RETURNING id
                """)
        }
        return Product(id: try rows[0].value("id"), sku: sku, name: name, unitPrice: unitPrice, active: active)
    }

    public func updateProduct(_ product: Product) async throws -> Product {
        try await conflictAs("a product with sku \(product.sku) already exists") {
            try await database.execute("""
                UPDATE orders.products SET sku = \(product.sku), name = \(product.name),
                    unit_price = \(product.unitPrice.description)::numeric, active = \(product.active) WHERE id = \(product.id)
                """)
        }
        return product
    }

    public func products(ids: [Int64]) async throws -> [Int64: Product] {
        guard !ids.isEmpty else { return [:] }
        return try await catalogReads.values(for: ids)
    }

    public func listProducts(includeInactive: Bool) async throws -> [Product] {
        try await database.read("""
            SELECT id, sku, name, unit_price::text AS unit_price, active FROM orders.products
            \(unescaped: includeInactive ? "" : "WHERE active") ORDER BY id
            """).map(Self.product)
    }

    static func product(_ row: PostgresRandomAccessRow) throws -> Product {
        Product(id: try row.value("id"), sku: try row.value("sku"), name: try row.value("name"),
                unitPrice: try row.money("unit_price"), active: try row.value("active"))
    }

    // MARK: Orders

    public func insert(_ new: NewOrder, history: OrderHistoryEntry,
                       events: @escaping @Sendable (Order) throws -> [EventDraft]) async throws -> (order: Order, created: Bool) {
        let result = try await placements.place(new, history: history, events: events)
        if result.created { outboxSignal.notify() }
        return result
    }

    public func order(id: Int64) async throws -> Order? {
        let logger = self.logger
        return try await database.withConnection(rerun: .ifDropped) { connection in
            let rows = try await connection.rows("SELECT \(unescaped: Self.orderColumns) FROM orders.orders WHERE id = \(id)", logger: logger)
            return try await Self.orders(connection, rows, logger: logger).first
        }
    }

    public func order(userId: Int64, idempotencyKey: String) async throws -> Order? {
        let logger = self.logger
        return try await database.withConnection(rerun: .ifDropped) { connection in
            let rows = try await connection.rows("""
                SELECT \(unescaped: Self.orderColumns) FROM orders.orders WHERE user_id = \(userId) AND idempotency_key = \(idempotencyKey)
                """, logger: logger)
            return try await Self.orders(connection, rows, logger: logger).first
        }
    }

    public func list(_ filter: OrderFilter, page: PageRequest) async throws -> Page<Order> {
        let logger = self.logger
        return try await database.withConnection(rerun: .ifDropped) { connection in
            let (rows, total) = try await PostgresPaging.page(connection, table: "orders.orders", columns: Self.orderColumns,
                                                              userId: filter.userId, status: filter.status?.rawValue, page: page, logger: logger)
            return Page(content: try await Self.orders(connection, rows, logger: logger), request: page, total: total)
        }
    }

    public func history(orderId: Int64) async throws -> [OrderHistoryEntry] {
        try await database.read("SELECT * FROM orders.order_history WHERE order_id = \(orderId) ORDER BY id").map { row in
            OrderHistoryEntry(from: try row.optional("from_status", as: String.self).flatMap(OrderStatus.init(rawValue:)),
                              to: try row.status("to_status", as: OrderStatus.self, default: .created),
                              reason: try row.optional("reason"), actor: try row.value("actor"), at: try row.value("at"))
        }
    }

    public func countByStatus() async throws -> [OrderStatus: Int] {
        try await PostgresPaging.countByStatus(database, table: "orders.orders", as: OrderStatus.self)
    }

    /// A batch costs a fixed number of statements, whatever its size: consumed events marked,
    /// every order concerned locked and read, one UPDATE, one history insert, the outbox.
    public func apply(_ decisions: [OrderDecision], returningItems: Bool) async throws -> [Order] {
        let logger = self.logger, outbox = self.outbox
        let (changed, enqueued): ([Order], Bool) = try await database.transaction { connection in
            var fresh = try await outbox.markProcessed(connection, decisions.compactMap { $0.consumedEvent }, logger: logger)
            // The row locks make each decision see the order as the last committed change left it,
            // whichever instance made that change; ids in order, so two batches never deadlock.
            let ids = Array(Set(decisions.map(\.orderId))).sorted()
            var current: [Int64: Order] = [:]
            for row in try await connection.rows("""
                SELECT \(unescaped: Self.orderColumns) FROM orders.orders WHERE id = ANY(\(ids)) ORDER BY id FOR UPDATE
                """, logger: logger) {
                let order = try Self.order(row, items: [])
                current[order.id] = order
            }
            var changedIds: [Int64] = []
            var history: [(orderId: Int64, entry: OrderHistoryEntry)] = []
            var events: [EventDraft] = []
            for decision in decisions {
                if let event = decision.consumedEvent {
                    guard fresh.remove(PostgresOutbox.Consumed(event)) != nil else { continue }   // redelivered: already applied
                }
                guard let change = try decision.decide(current[decision.orderId]), current[decision.orderId] != nil else { continue }
                current[decision.orderId] = change.order
                if !changedIds.contains(decision.orderId) { changedIds.append(decision.orderId) }
                history += change.history.map { (decision.orderId, $0) }
                events += change.events
            }
            let changed = changedIds.compactMap { current[$0] }
            if !changed.isEmpty {
                try await connection.queryIfOpen("""
                    UPDATE orders.orders o SET status = c.status, failure_reason = NULLIF(c.failure_reason, ''),
                        payment_attempt = c.payment_attempt, updated_at = c.updated_at
                    FROM unnest(\(changed.map(\.id)), \(changed.map(\.status.rawValue)), \(changed.map { $0.failureReason ?? "" }),
                                \(changed.map(\.paymentAttempt)), \(changed.map(\.updatedAt)))
                         AS c(id, status, failure_reason, payment_attempt, updated_at)
                    WHERE o.id = c.id
                    """, logger: logger)
            }
            try await Self.appendHistory(connection, history, logger: logger)
            try await outbox.enqueue(connection, events, logger: logger)
            let items = returningItems ? try await Self.items(connection, orderIds: changedIds, logger: logger) : [:]
            return (changed.map { order in
                var withItems = order
                withItems.orderItems = items[order.id] ?? []
                return withItems
            }, !events.isEmpty)
        }
        if enqueued { outboxSignal.notify() }
        return changed
    }

    static func appendHistory(_ connection: PostgresConnection, _ entries: [(orderId: Int64, entry: OrderHistoryEntry)],
                              logger: Logger) async throws {
        guard !entries.isEmpty else { return }
        let rows = entries.map(\.entry)
        try await connection.queryIfOpen("""
            INSERT INTO orders.order_history (order_id, from_status, to_status, reason, actor, at)
            SELECT order_id, NULLIF(from_status, ''), to_status, NULLIF(reason, ''), actor, at
            FROM unnest(\(entries.map(\.orderId)), \(rows.map { $0.from?.rawValue ?? "" }), \(rows.map(\.to.rawValue)),
                        \(rows.map { $0.reason ?? "" }), \(rows.map(\.actor)), \(rows.map(\.at)))
                 WITH ORDINALITY AS h(order_id, from_status, to_status, reason, actor, at, n)
            ORDER BY n
            """, logger: logger)
    }

    /// Loads the items of all rows with one query, so a page costs two queries, not one per order.
    static func orders(_ connection: PostgresConnection, _ rows: [PostgresRandomAccessRow], logger: Logger) async throws -> [Order] {
        guard !rows.isEmpty else { return [] }
        let items = try await self.items(connection, orderIds: try rows.map { try $0.value("id") }, logger: logger)
        return try rows.map { row in try order(row, items: items[try row.value("id")] ?? []) }
    }

    static func order(_ row: PostgresRandomAccessRow, items: [OrderItem]) throws -> Order {
        Order(id: try row.value("id"), orderNumber: try row.value("order_number"), userId: try row.value("user_id"),
              status: try row.status("status", as: OrderStatus.self, default: .created), totalAmount: try row.money("total_amount"),
              shippingAddress: try row.value("shipping_address"),
              paymentMethod: try row.status("payment_method", as: PaymentMethod.self, default: .creditCard),
              orderItems: items, failureReason: try row.optional("failure_reason"),
              paymentAttempt: try row.value("payment_attempt"), createdAt: try row.value("created_at"), updatedAt: try row.value("updated_at"))
    }

    static func items(_ connection: PostgresConnection, orderIds ids: [Int64], logger: Logger) async throws -> [Int64: [OrderItem]] {
        guard !ids.isEmpty else { return [:] }
        var items: [Int64: [OrderItem]] = [:]
        for row in try await connection.rows("""
            SELECT order_id, product_id, sku, product_name, quantity, unit_price::text AS unit_price, subtotal::text AS subtotal
            FROM orders.order_items WHERE order_id = ANY(\(ids)) ORDER BY id
            """, logger: logger) {
            items[try row.value("order_id"), default: []].append(OrderItem(
                productId: try row.value("product_id"), sku: try row.value("sku"), productName: try row.value("product_name"),
                quantity: try row.value("quantity"), unitPrice: try row.money("unit_price"), subtotal: try row.money("subtotal")))
        }
        return items
    }

    // MARK: OutboxSource

    public func pendingEvents(after id: Int64, limit: Int) async throws -> [(id: Int64, event: SerializedEvent)] {
        try await outbox.pending(database, after: id, limit: limit)
    }

    public func newestEventId() async throws -> Int64 { try await outbox.newest(database) }

    public func removeEvents(upTo id: Int64) async throws { try await outbox.remove(database, upTo: id) }

    public func holdRelayLease(owner: String, for duration: Duration) async throws -> Bool {
        try await outbox.holdLease(database, owner: owner, for: duration)
    }

    public func releaseRelayLease(owner: String) async throws { try await outbox.releaseLease(database, owner: owner) }

    public func nudgeRelay() async throws { try await outbox.nudgeRelay(database) }

    public func watchRelayNudges(_ onNudge: @escaping @Sendable () -> Void) async { await outbox.watchRelayNudges(database, onNudge) }
}

/// Runs `body`, turning a unique violation into a conflict with a message for people.
func conflictAs<T>(_ message: String, _ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as AppError where error.kind == .conflict {
        throw AppError.conflict(message)
    }
}
