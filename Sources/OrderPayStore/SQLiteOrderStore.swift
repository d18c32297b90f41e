import Foundation
import GRDB
import OrderPayCore
import OrderPayServices

/// The order service's database: catalog, orders, items, history, outbox.
public final class SQLiteOrderStore: OrderRepository, OutboxSource, @unchecked Sendable {
    public let name = "orders"
    public let outboxSignal = Signal()
    let pool: DatabasePool
    /// Every write: concurrent ones share a commit (and its sync to disk).
    let writes: GroupCommitter
    /// Every placement prices its items: concurrent placements share one catalog read.
    let catalogReads: CoalescedLookup<Int64, Product>
    let recentOutbox = RecentOutbox()

    public init(path: String, settings: SQLiteDatabase.Settings = .init()) throws {
        let pool = try SQLiteDatabase.open(path: path, settings: settings, migrator: Self.migrator)
        self.pool = pool
        writes = GroupCommitter(pool: pool)
        catalogReads = CoalescedLookup { ids in
            try pool.readNow { db in
                let products = try db.rows("SELECT * FROM products WHERE id IN (\(databaseQuestionMarks(count: ids.count)))",
                                           StatementArguments(ids), as: Self.product)
                return Dictionary(products.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            }
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE products (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    sku TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    name TEXT NOT NULL,
                    unit_price_minor INTEGER NOT NULL CHECK (unit_price_minor > 0),
                    active INTEGER NOT NULL DEFAULT 1
                );
                CREATE TABLE orders (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    order_number TEXT NOT NULL UNIQUE,
                    user_id INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    total_minor INTEGER NOT NULL,
                    shipping_address TEXT NOT NULL,
                    payment_method TEXT NOT NULL,
                    failure_reason TEXT,
                    payment_attempt INTEGER NOT NULL DEFAULT 0,
                    idempotency_key TEXT,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    UNIQUE (user_id, idempotency_key)
                );
                CREATE INDEX orders_by_user ON orders (user_id, id);
                CREATE INDEX orders_by_status ON orders (status, id);
                CREATE TABLE order_items (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    order_id INTEGER NOT NULL REFERENCES orders(id),
                    product_id INTEGER NOT NULL,
                    sku TEXT NOT NULL,
                    product_name TEXT NOT NULL,
                    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 999),
                    unit_price_minor INTEGER NOT NULL,
                    subtotal_minor INTEGER NOT NULL
                );
                CREATE INDEX order_items_by_order ON order_items (order_id);
                CREATE TABLE order_history (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    order_id INTEGER NOT NULL REFERENCES orders(id),
                    from_status TEXT,
                    to_status TEXT NOT NULL,
                    reason TEXT,
                    actor TEXT NOT NULL,
                    at REAL NOT NULL
                );
                CREATE INDEX order_history_by_order ON order_history (order_id, id);
                """)
            try Outbox.migrate(db)
        }
        migrator.registerMigration("v2-status-counts") { db in try StatusCounts.migrate(db, table: "orders") }
        migrator.registerMigration("v3-plain-rowids") { db in try PlainRowIDs.migrate(db, tables: ["orders", "order_items", "order_history"]) }
        migrator.registerMigration("v4-relay-lease") { db in try RelayLease.migrate(db) }
        return migrator
    }

    // MARK: Catalog

    public func insertProduct(sku: String, name: String, unitPrice: Money, active: Bool) async throws -> Product {
        try await writes.write { db in
            try translatingConstraintErrors("a product with sku \(sku) already exists") {
                try db.run("INSERT INTO products (sku, name, unit_price_minor, active) VALUES (?, ?, ?, ?)",
                               arguments: [sku, name, unitPrice.minorUnits, active])
            }
            return Product(id: db.lastInsertedRowID, sku: sku, name: name, unitPrice: unitPrice, active: active)
        }
    }

    public func updateProduct(_ product: Product) async throws -> Product {
        try await writes.write { db in
            try translatingConstraintErrors("a product with sku \(product.sku) already exists") {
                try db.run("UPDATE products SET sku = ?, name = ?, unit_price_minor = ?, active = ? WHERE id = ?",
                               arguments: [product.sku, product.name, product.unitPrice.minorUnits, product.active, product.id])
            }
            return product
        }
    }

    public func products(ids: [Int64]) async throws -> [Int64: Product] {
        guard !ids.isEmpty else { return [:] }
        return try await catalogReads.values(for: ids)
    }

    public func listProducts(includeInactive: Bool) async throws -> [Product] {
        try pool.readNow { db in
            try db.rows("SELECT * FROM products \(includeInactive ? "" : "WHERE active = 1") ORDER BY id").map(Self.product)
        }
    }

    static func product(_ row: Row) -> Product {
        Product(id: row["id"], sku: row["sku"], name: row["name"], unitPrice: row.money("unit_price_minor"), active: row["active"])
    }

    // MARK: Orders

    public func insert(_ new: NewOrder, history: OrderHistoryEntry,
                       events: @escaping @Sendable (Order) throws -> [EventDraft]) async throws -> (order: Order, created: Bool) {
        let result: (Order, [OutboxRow]?) = try await writes.write { db in
            if let key = new.idempotencyKey,
               let existing = try db.row("SELECT * FROM orders WHERE user_id = ? AND idempotency_key = ?", [new.userId, key]) {
                return (try Self.order(db, existing), nil)
            }
            try db.run("""
                INSERT INTO orders (order_number, user_id, status, total_minor, shipping_address, payment_method,
                                    idempotency_key, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [new.orderNumber, new.userId, OrderStatus.created.rawValue, new.totalAmount.minorUnits,
                                 new.shippingAddress, new.paymentMethod.rawValue, new.idempotencyKey,
                                 new.createdAt.storageValue, new.createdAt.storageValue])
            let id = db.lastInsertedRowID
            for item in new.items {
                try db.run("""
                    INSERT INTO order_items (order_id, product_id, sku, product_name, quantity, unit_price_minor, subtotal_minor)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, [id, item.productId, item.sku, item.productName, item.quantity,
                                     item.unitPrice.minorUnits, item.subtotal.minorUnits])
            }
            try Self.appendHistory(db, orderId: id, [history])
            let order = Order(id: id, orderNumber: new.orderNumber, userId: new.userId, status: .created,
                              totalAmount: new.totalAmount, shippingAddress: new.shippingAddress,
                              paymentMethod: new.paymentMethod, orderItems: new.items,
                              createdAt: new.createdAt, updatedAt: new.createdAt)
            return (order, try Outbox.enqueue(db, try events(order)))
        }
        guard let enqueued = result.1 else { return (order: result.0, created: false) }
        recentOutbox.record(enqueued, waking: outboxSignal)
        return (order: result.0, created: true)
    }

    public func order(id: Int64) async throws -> Order? {
        try pool.readNow { db in
            try db.row("SELECT * FROM orders WHERE id = ?", [id]).map { try Self.order(db, $0) }
        }
    }

    public func order(userId: Int64, idempotencyKey: String) async throws -> Order? {
        try pool.readNow { db in
            try db.row("SELECT * FROM orders WHERE user_id = ? AND idempotency_key = ?", [userId, idempotencyKey]).map { try Self.order(db, $0) }
        }
    }

    public func list(_ filter: OrderFilter, page: PageRequest) async throws -> Page<Order> {
        try await pool.readAwaited { db in
            let (rows, total) = try db.page(of: "orders", userId: filter.userId, status: filter.status?.rawValue, page: page)
            return Page(content: try Self.orders(db, rows), request: page, total: total)
        }
    }

    public func history(orderId: Int64) async throws -> [OrderHistoryEntry] {
        try pool.readNow { db in
            try db.rows("SELECT * FROM order_history WHERE order_id = ? ORDER BY id", [orderId]).map { row in
                OrderHistoryEntry(from: (row["from_status"] as String?).flatMap(OrderStatus.init(rawValue:)),
                                  to: OrderStatus(rawValue: row["to_status"]) ?? .created,
                                  reason: row["reason"], actor: row["actor"], at: row.date("at"))
            }
        }
    }

    public func countByStatus() async throws -> [OrderStatus: Int] {
        try pool.readNow { db in try db.countByStatus(in: "orders", as: OrderStatus.self) }
    }

    public func apply(_ decisions: [OrderDecision], returningItems: Bool) async throws -> [Order] {
        let (changed, enqueued): ([Order], [OutboxRow]) = try await writes.write { db in
            var changed: [Order] = []
            var enqueued: [OutboxRow] = []
            for decision in decisions {
                if let consumed = decision.consumedEvent,
                   !(try Outbox.markProcessed(db, eventId: consumed.id, group: consumed.group, at: Date())) {
                    continue   // redelivered: already applied
                }
                // Decisions look at the order's status, not its items: those are loaded once, below,
                // for the orders that changed.
                let current = try db.row("SELECT * FROM orders WHERE id = ?", [decision.orderId]) { Self.order($0, items: []) }
                guard let change = try decision.decide(current), let before = current else { continue }
                // The status in the WHERE clause guards against a writer in another process.
                try db.run("""
                    UPDATE orders SET status = ?, failure_reason = ?, payment_attempt = ?, updated_at = ?
                    WHERE id = ? AND status = ?
                    """, [change.order.status.rawValue, change.order.failureReason, change.order.paymentAttempt,
                                     change.order.updatedAt.storageValue, before.id, before.status.rawValue])
                guard db.changesCount == 1 else { throw AppError.conflict("order \(before.id) changed concurrently; try again") }
                try Self.appendHistory(db, orderId: before.id, change.history)
                enqueued += try Outbox.enqueue(db, change.events)
                changed.append(change.order)
            }
            return (returningItems ? try Self.attachItems(db, changed) : changed, enqueued)
        }
        recentOutbox.record(enqueued, waking: outboxSignal)
        return changed
    }

    static func appendHistory(_ db: Database, orderId: Int64, _ entries: [OrderHistoryEntry]) throws {
        for entry in entries {
            try db.run("INSERT INTO order_history (order_id, from_status, to_status, reason, actor, at) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [orderId, entry.from?.rawValue, entry.to.rawValue, entry.reason, entry.actor, entry.at.storageValue])
        }
    }

    static func order(_ db: Database, _ row: Row) throws -> Order {
        try orders(db, [row])[0]
    }

    /// Loads the items of all rows with one query, so a page costs two queries, not one per order.
    static func orders(_ db: Database, _ rows: [Row], withItems: Bool = true) throws -> [Order] {
        guard !rows.isEmpty else { return [] }
        let items = withItems ? try self.items(db, orderIds: rows.map { $0["id"] }) : [:]
        return rows.map { row in order(row, items: items[row["id"]] ?? []) }
    }

    static func order(_ row: Row, items: [OrderItem]) -> Order {
        Order(id: row["id"], orderNumber: row["order_number"], userId: row["user_id"],
              status: OrderStatus(rawValue: row["status"]) ?? .created, totalAmount: row.money("total_minor"),
              shippingAddress: row["shipping_address"],
              paymentMethod: PaymentMethod(rawValue: row["payment_method"]) ?? .creditCard,
              orderItems: items, failureReason: row["failure_reason"],
              paymentAttempt: row["payment_attempt"], createdAt: row.date("created_at"), updatedAt: row.date("updated_at"))
    }

    static func items(_ db: Database, orderIds ids: [Int64]) throws -> [Int64: [OrderItem]] {
        guard !ids.isEmpty else { return [:] }
        var items: [Int64: [OrderItem]] = [:]
        for (orderId, item) in try db.rows("SELECT * FROM order_items WHERE order_id IN (\(databaseQuestionMarks(count: ids.count))) ORDER BY id",
                                           StatementArguments(ids), as: { row in
            (row["order_id"] as Int64, OrderItem(productId: row["product_id"], sku: row["sku"], productName: row["product_name"],
                                                 quantity: row["quantity"], unitPrice: row.money("unit_price_minor"),
                                                 subtotal: row.money("subtotal_minor")))
        }) {
            items[orderId, default: []].append(item)
        }
        return items
    }

    static func attachItems(_ db: Database, _ orders: [Order]) throws -> [Order] {
        let items = try self.items(db, orderIds: orders.map(\.id))
        return orders.map { order in
            var withItems = order
            withItems.orderItems = items[order.id] ?? []
            return withItems
        }
    }

    // MARK: OutboxSource

    public func pendingEvents(after id: Int64, limit: Int) async throws -> [OutboxRow] {
        try Outbox.pending(pool, recent: recentOutbox, after: id, limit: limit)
    }

    public func newestEventId() async throws -> Int64 {
        try pool.readNow { db in try Outbox.newest(db) }
    }

    public func removeEvents(upTo id: Int64) async throws {
        try await writes.write { db in try Outbox.remove(db, upTo: id) }
    }

    public func holdRelayLease(owner: String, for duration: Duration) async throws -> Bool {
        try await writes.write { db in try RelayLease.hold(db, owner: owner, for: duration) }
    }

    public func releaseRelayLease(owner: String) async throws {
        try await writes.write { db in try RelayLease.release(db, owner: owner) }
    }

    public func nudgeRelay() async throws { try SQLiteRelayNudges(databasePath: pool.path).nudge() }

    public func watchRelayNudges(_ onNudge: @escaping @Sendable () -> Void) async {
        await SQLiteRelayNudges(databasePath: pool.path).watch(onNudge)
    }
}
