import Foundation
import Logging
import OrderPayCore
import OrderPayServices
import OrderPayStore
import PostgresNIO

/// The payment service's tables in schema `payments`. One payment per order is a unique
/// constraint, so two instances that both see an `order-created` cannot both charge it; changes
/// lock the payment row first.
public final class PostgresPaymentStore: PaymentRepository, OutboxSource, @unchecked Sendable {
    public let name = "payments"
    public let outboxSignal = Signal()
    let database: PostgresDatabase
    let outbox = PostgresOutbox(schema: "payments")
    var logger: Logger { database.logger }

    public static func open(_ database: PostgresDatabase) async throws -> PostgresPaymentStore {
        let store = PostgresPaymentStore(database: database)
        try await store.migrations.apply(on: database)
        return store
    }

    init(database: PostgresDatabase) { self.database = database }

    var migrations: PostgresMigrations {
        var migrations = PostgresMigrations(schema: "payments")
        migrations.add("v1", [
            """
            CREATE TABLE payments.payments (
                id BIGSERIAL PRIMARY KEY, order_id BIGINT NOT NULL UNIQUE, user_id BIGINT NOT NULL,
                amount NUMERIC(19, 2) NOT NULL, status TEXT NOT NULL, payment_method TEXT NOT NULL, payment_token TEXT NOT NULL,
                order_status TEXT NOT NULL, attempts INTEGER NOT NULL, failure_reason TEXT, transaction_id TEXT,
                refund_reason TEXT, created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL)
            """,
            "CREATE INDEX payments_by_user ON payments.payments (user_id, id)",
            "CREATE INDEX payments_by_status ON payments.payments (status, id)",
            """
            CREATE TABLE payments.payment_history (
                id BIGSERIAL PRIMARY KEY, payment_id BIGINT NOT NULL REFERENCES payments.payments(id), from_status TEXT,
                to_status TEXT NOT NULL, attempt INTEGER NOT NULL, reason TEXT, actor TEXT NOT NULL, at TIMESTAMPTZ NOT NULL)
            """,
            "CREATE INDEX payment_history_by_payment ON payments.payment_history (payment_id, id)",
            "CREATE TABLE payments.cancelled_orders (order_id BIGINT PRIMARY KEY)",
        ] + outbox.migration)
        return migrations
    }

    static let columns = """
        id, order_id, user_id, amount::text AS amount, status, payment_method, payment_token, order_status, attempts,
        failure_reason, transaction_id, refund_reason, created_at, updated_at
        """

    public func claim(_ claims: [PaymentClaim], group: String) async throws -> [PaymentRecord] {
        let logger = self.logger, outbox = self.outbox
        return try await database.transaction { connection in
            try await Self.lockOrders(connection, claims.map(\.order.orderId), logger: logger)
            var claimed: [PaymentRecord] = []
            for claim in claims {
                guard try await outbox.markProcessed(connection, eventId: claim.eventId, group: group, logger: logger) else { continue }
                let order = claim.order
                let cancelled = try await connection.rows(
                    "SELECT 1 AS found FROM payments.cancelled_orders WHERE order_id = \(order.orderId)", logger: logger)
                if !cancelled.isEmpty { continue }
                // The unique order_id decides: a second order-created for one order, from any
                // instance, inserts nothing and so charges nothing.
                let inserted = try await connection.rows("""
                    INSERT INTO payments.payments (order_id, user_id, amount, status, payment_method, payment_token,
                                                   order_status, attempts, created_at, updated_at)
                    VALUES (\(order.orderId), \(order.userId), \(order.totalAmount.description)::numeric, \(PaymentStatus.processing.rawValue),
                            \(order.paymentMethod.rawValue), \(order.paymentToken), \(OrderStatus.created.rawValue), 1, \(claim.at), \(claim.at))
                    ON CONFLICT (order_id) DO NOTHING RETURNING \(unescaped: Self.columns)
                    """, logger: logger)
                guard let row = inserted.first else { continue }
                let record = try Self.record(row)
                try await Self.appendHistory(connection, paymentId: record.payment.id, [
                    PaymentHistoryEntry(from: nil, to: .pending, attempt: 1, reason: "order \(order.orderId) created", actor: "payment-service", at: claim.at),
                    PaymentHistoryEntry(from: .pending, to: .processing, attempt: 1, reason: "charging \(order.totalAmount)", actor: "payment-service", at: claim.at),
                ], logger: logger)
                claimed.append(record)
            }
            return claimed
        }
    }

    public func apply(_ decisions: [PaymentDecision]) async throws -> [PaymentRecord] {
        let logger = self.logger, outbox = self.outbox
        let (changed, enqueued): ([PaymentRecord], Bool) = try await database.transaction { connection in
            try await Self.lockOrders(connection, decisions.compactMap { decision in
                if case .order(let orderId) = decision.key { return orderId } else { return nil }
            }, logger: logger)
            var changed: [PaymentRecord] = []
            var events: [EventDraft] = []
            for decision in decisions {
                if let consumed = decision.consumedEvent,
                   !(try await outbox.markProcessed(connection, eventId: consumed.id, group: consumed.group, logger: logger)) {
                    continue
                }
                let current: PaymentRecord?
                switch decision.key {
                case .payment(let id):
                    current = try await connection.rows(
                        "SELECT \(unescaped: Self.columns) FROM payments.payments WHERE id = \(id) FOR UPDATE", logger: logger).first.map(Self.record)
                case .order(let orderId):
                    current = try await connection.rows(
                        "SELECT \(unescaped: Self.columns) FROM payments.payments WHERE order_id = \(orderId) FOR UPDATE", logger: logger).first.map(Self.record)
                }
                guard let change = try decision.decide(current), current != nil else { continue }
                let p = change.record.payment
                try await connection.query("""
                    UPDATE payments.payments SET status = \(p.status.rawValue), payment_token = \(change.record.paymentToken),
                        order_status = \(change.record.orderStatus.rawValue), attempts = \(p.attempts), failure_reason = \(p.failureReason),
                        transaction_id = \(p.transactionId), refund_reason = \(p.refundReason), updated_at = \(p.updatedAt)
                    WHERE id = \(p.id)
                    """, logger: logger)
                try await Self.appendHistory(connection, paymentId: p.id, change.history, logger: logger)
                events += change.events
                changed.append(change.record)
            }
            try await outbox.enqueue(connection, events, logger: logger)
            return (changed, !events.isEmpty)
        }
        if enqueued { outboxSignal.notify() }
        return changed
    }

    public func record(id: Int64) async throws -> PaymentRecord? {
        try await database.rows("SELECT \(unescaped: Self.columns) FROM payments.payments WHERE id = \(id)").first.map(Self.record)
    }

    public func record(orderId: Int64) async throws -> PaymentRecord? {
        try await database.rows("SELECT \(unescaped: Self.columns) FROM payments.payments WHERE order_id = \(orderId)").first.map(Self.record)
    }

    public func list(_ filter: PaymentFilter, page: PageRequest) async throws -> Page<Payment> {
        let logger = self.logger
        return try await database.withConnection { connection in
            let (rows, total) = try await PostgresPaging.page(connection, table: "payments.payments", columns: Self.columns,
                                                              userId: filter.userId, status: filter.status?.rawValue, page: page, logger: logger)
            return Page(content: try rows.map { try Self.record($0).payment }, request: page, total: total)
        }
    }

    public func history(paymentId: Int64) async throws -> [PaymentHistoryEntry] {
        try await database.rows("SELECT * FROM payments.payment_history WHERE payment_id = \(paymentId) ORDER BY id").map { row in
            PaymentHistoryEntry(from: try row.optional("from_status", as: String.self).flatMap(PaymentStatus.init(rawValue:)),
                                to: try row.status("to_status", as: PaymentStatus.self, default: .pending), attempt: try row.value("attempt"),
                                reason: try row.optional("reason"), actor: try row.value("actor"), at: try row.value("at"))
        }
    }

    public func countByStatus() async throws -> [PaymentStatus: Int] {
        try await PostgresPaging.countByStatus(database, table: "payments.payments", as: PaymentStatus.self)
    }

    /// Every PROCESSING payment, including ones another live instance is charging right now: the
    /// charge's idempotency key (payment and attempt) makes the provider answer both requests with
    /// one charge, and only the first outcome recorded moves the payment (the row lock and the
    /// status/attempt check in the service's decision).
    public func processing() async throws -> [PaymentRecord] {
        try await database.rows("""
            SELECT \(unescaped: Self.columns) FROM payments.payments WHERE status = \(PaymentStatus.processing.rawValue) ORDER BY id
            """).map(Self.record)
    }

    public func rememberCancelledOrders(_ orderIds: [Int64]) async throws {
        guard !orderIds.isEmpty else { return }
        let logger = self.logger
        try await database.transaction { connection in
            try await Self.lockOrders(connection, orderIds, logger: logger)
            try await connection.query("""
                INSERT INTO payments.cancelled_orders (order_id) SELECT unnest(\(orderIds)::bigint[]) ON CONFLICT DO NOTHING
                """, logger: logger)
        }
    }

    /// Claiming an order's payment, remembering its cancellation and applying its status take the
    /// same per-order lock, so they cannot interleave: without it, a claim could check for a
    /// cancellation just before one commits, and the cancellation's update could look for the
    /// payment just before the claim commits, and the order would be charged with nobody
    /// refunding it. (On SQLite, whole write transactions are serial and this cannot happen.)
    /// Locks are taken in id order, so two batches never wait on each other in a cycle.
    static func lockOrders(_ connection: PostgresConnection, _ orderIds: [Int64], logger: Logger) async throws {
        let keys = Array(Set(orderIds.map { Int32(truncatingIfNeeded: $0 % Int64(Int32.max)) })).sorted()
        guard !keys.isEmpty else { return }
        try await connection.query("""
            SELECT pg_advisory_xact_lock(\(Self.orderLockSpace), key) FROM unnest(\(keys)::int[]) AS key ORDER BY key
            """, logger: logger)
    }

    /// The first half of the two-key advisory locks this store takes: a space of its own.
    static let orderLockSpace: Int32 = 0x0A_1D


    static func record(_ row: PostgresRandomAccessRow) throws -> PaymentRecord {
        let payment = Payment(id: try row.value("id"), orderId: try row.value("order_id"), userId: try row.value("user_id"),
                              amount: try row.money("amount"), status: try row.status("status", as: PaymentStatus.self, default: .pending),
                              paymentMethod: try row.status("payment_method", as: PaymentMethod.self, default: .creditCard),
                              attempts: try row.value("attempts"), failureReason: try row.optional("failure_reason"),
                              transactionId: try row.optional("transaction_id"), refundReason: try row.optional("refund_reason"),
                              createdAt: try row.value("created_at"), updatedAt: try row.value("updated_at"))
        return PaymentRecord(payment: payment, paymentToken: try row.value("payment_token"),
                             orderStatus: try row.status("order_status", as: OrderStatus.self, default: .created))
    }

    static func appendHistory(_ connection: PostgresConnection, paymentId: Int64, _ entries: [PaymentHistoryEntry], logger: Logger) async throws {
        for e in entries {
            try await connection.query("""
                INSERT INTO payments.payment_history (payment_id, from_status, to_status, attempt, reason, actor, at)
                VALUES (\(paymentId), \(e.from?.rawValue), \(e.to.rawValue), \(e.attempt), \(e.reason), \(e.actor), \(e.at))
                """, logger: logger)
        }
    }

    // MARK: OutboxSource

    public func pendingEvents(after id: Int64, limit: Int) async throws -> [(id: Int64, event: SerializedEvent)] {
        try await outbox.pending(database, after: id, limit: limit)
    }

    public func newestEventId() async throws -> Int64 { try await outbox.newest(database) }

    public func removeEvents(upTo id: Int64) async throws { try await outbox.remove(database, upTo: id) }
}
