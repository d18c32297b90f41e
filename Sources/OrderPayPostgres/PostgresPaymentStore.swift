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
        migrations.add("v2-relay-lease", outbox.leaseMigration)
        // NULL (claims from before): expired, taken over by the first sweep.
        migrations.add("v3-claim-expiry", ["ALTER TABLE payments.payments ADD COLUMN claim_expires_at TIMESTAMPTZ"])
        // NULL: claimed anonymously (before, or by an instance without an id); only expiry frees it.
        migrations.add("v4-claimant", ["ALTER TABLE payments.payments ADD COLUMN claimed_by TEXT"])
        return migrations
    }

    static let columns = """
        id, order_id, user_id, amount::text AS amount, status, payment_method, payment_token, order_status, attempts,
        failure_reason, transaction_id, refund_reason, created_at, updated_at
        """

    /// A batch costs a fixed number of statements, whatever its size.
    public func claim(_ claims: [PaymentClaim], group: String) async throws -> [PaymentRecord] {
        let logger = self.logger, outbox = self.outbox
        return try await database.transaction { connection in
            try await Self.lockOrders(connection, claims.map(\.order.orderId), logger: logger)
            let fresh = try await outbox.markProcessed(connection, eventIds: claims.map(\.eventId), group: group, logger: logger)
            let cancelled = Set(try await connection.rows("""
                SELECT order_id FROM payments.cancelled_orders WHERE order_id = ANY(\(claims.map(\.order.orderId)))
                """, logger: logger).map { try $0.value("order_id", as: Int64.self) })
            var orders = Set<Int64>()
            let candidates = claims.filter { claim in
                fresh.contains(claim.eventId) && !cancelled.contains(claim.order.orderId) && orders.insert(claim.order.orderId).inserted
            }
            guard !candidates.isEmpty else { return [] }
            let created = candidates.map(\.order)
            // The unique order_id decides: a second order-created for one order, from any
            // instance, inserts nothing and so charges nothing.
            let inserted = try await connection.rows("""
                INSERT INTO payments.payments (order_id, user_id, amount, status, payment_method, payment_token,
                                               order_status, attempts, created_at, updated_at, claim_expires_at, claimed_by)
                SELECT order_id, user_id, amount::numeric, \(PaymentStatus.processing.rawValue), payment_method, payment_token,
                       \(OrderStatus.created.rawValue), 1, at, at, claimed_until, NULLIF(claimed_by, '')
                FROM unnest(\(created.map(\.orderId)), \(created.map(\.userId)), \(created.map(\.totalAmount.description)),
                            \(created.map(\.paymentMethod.rawValue)), \(created.map(\.paymentToken)), \(candidates.map(\.at)),
                            \(candidates.map(\.claimedUntil)), \(candidates.map { $0.claimant ?? "" }))
                     WITH ORDINALITY AS c(order_id, user_id, amount, payment_method, payment_token, at, claimed_until, claimed_by, n)
                ORDER BY n
                ON CONFLICT (order_id) DO NOTHING RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            var byOrder: [Int64: PaymentRecord] = [:]
            for row in inserted {
                let record = try Self.record(row)
                byOrder[record.payment.orderId] = record
            }
            let claimed = candidates.compactMap { byOrder[$0.order.orderId] }
            try await Self.appendHistory(connection, claimed.flatMap { record -> [(Int64, PaymentHistoryEntry)] in
                let order = record.payment, at = record.payment.createdAt
                return [
                    (order.id, PaymentHistoryEntry(from: nil, to: .pending, attempt: 1, reason: "order \(order.orderId) created",
                                                   actor: "payment-service", at: at)),
                    (order.id, PaymentHistoryEntry(from: .pending, to: .processing, attempt: 1, reason: "charging \(order.amount)",
                                                   actor: "payment-service", at: at)),
                ]
            }, logger: logger)
            return claimed
        }
    }

    /// A batch costs a fixed number of statements, whatever its size: consumed events marked,
    /// every payment concerned locked and read, one UPDATE, one history insert, the outbox.
    public func apply(_ decisions: [PaymentDecision]) async throws -> [PaymentRecord] {
        let logger = self.logger, outbox = self.outbox
        let (changed, enqueued): ([PaymentRecord], Bool) = try await database.transaction { connection in
            var fresh = try await outbox.markProcessed(connection, decisions.compactMap { $0.consumedEvent }, logger: logger)
            var ids: [Int64] = [], orderIds: [Int64] = []
            for decision in decisions {
                switch decision.key {
                case .payment(let id): ids.append(id)
                case .order(let orderId): orderIds.append(orderId)
                }
            }
            try await Self.lockOrders(connection, orderIds, logger: logger)
            var current: [Int64: PaymentRecord] = [:]
            var paymentOfOrder: [Int64: Int64] = [:]
            for row in try await connection.rows("""
                SELECT \(unescaped: Self.columns) FROM payments.payments WHERE id = ANY(\(ids)) OR order_id = ANY(\(orderIds))
                ORDER BY id FOR UPDATE
                """, logger: logger) {
                let record = try Self.record(row)
                current[record.payment.id] = record
                paymentOfOrder[record.payment.orderId] = record.payment.id
            }
            var changedIds: [Int64] = []
            var history: [(Int64, PaymentHistoryEntry)] = []
            var events: [EventDraft] = []
            for decision in decisions {
                if let event = decision.consumedEvent {
                    guard fresh.remove(PostgresOutbox.Consumed(event)) != nil else { continue }
                }
                let paymentId: Int64?
                switch decision.key {
                case .payment(let id): paymentId = current[id] == nil ? nil : id
                case .order(let orderId): paymentId = paymentOfOrder[orderId]
                }
                let record = paymentId.flatMap { current[$0] }
                guard let change = try decision.decide(record), let id = paymentId else { continue }
                current[id] = change.record
                if !changedIds.contains(id) { changedIds.append(id) }
                history += change.history.map { (id, $0) }
                events += change.events
            }
            let changed = changedIds.compactMap { current[$0] }
            if !changed.isEmpty {
                let payments = changed.map(\.payment)
                try await connection.queryIfOpen("""
                    UPDATE payments.payments p SET status = c.status, payment_token = c.payment_token, order_status = c.order_status,
                        attempts = c.attempts, failure_reason = NULLIF(c.failure_reason, ''), transaction_id = NULLIF(c.transaction_id, ''),
                        refund_reason = NULLIF(c.refund_reason, ''), updated_at = c.updated_at
                    FROM unnest(\(payments.map(\.id)), \(payments.map(\.status.rawValue)), \(changed.map(\.paymentToken)),
                                \(changed.map(\.orderStatus.rawValue)), \(payments.map(\.attempts)), \(payments.map { $0.failureReason ?? "" }),
                                \(payments.map { $0.transactionId ?? "" }), \(payments.map { $0.refundReason ?? "" }), \(payments.map(\.updatedAt)))
                         AS c(id, status, payment_token, order_status, attempts, failure_reason, transaction_id, refund_reason, updated_at)
                    WHERE p.id = c.id
                    """, logger: logger)
            }
            try await Self.appendHistory(connection, history, logger: logger)
            try await outbox.enqueue(connection, events, logger: logger)
            return (changed, !events.isEmpty)
        }
        if enqueued { outboxSignal.notify() }
        return changed
    }

    public func record(id: Int64) async throws -> PaymentRecord? {
        try await database.read("SELECT \(unescaped: Self.columns) FROM payments.payments WHERE id = \(id)").first.map(Self.record)
    }

    public func record(orderId: Int64) async throws -> PaymentRecord? {
        try await database.read("SELECT \(unescaped: Self.columns) FROM payments.payments WHERE order_id = \(orderId)").first.map(Self.record)
    }

    public func list(_ filter: PaymentFilter, page: PageRequest) async throws -> Page<Payment> {
        let logger = self.logger
        return try await database.withConnection(rerun: .ifDropped) { connection in
            let (rows, total) = try await PostgresPaging.page(connection, table: "payments.payments", columns: Self.columns,
                                                              userId: filter.userId, status: filter.status?.rawValue, page: page, logger: logger)
            return Page(content: try rows.map { try Self.record($0).payment }, request: page, total: total)
        }
    }

    public func history(paymentId: Int64) async throws -> [PaymentHistoryEntry] {
        try await database.read("SELECT * FROM payments.payment_history WHERE payment_id = \(paymentId) ORDER BY id").map { row in
            PaymentHistoryEntry(from: try row.optional("from_status", as: String.self).flatMap(PaymentStatus.init(rawValue:)),
                                to: try row.status("to_status", as: PaymentStatus.self, default: .pending), attempt: try row.value("attempt"),
                                reason: try row.optional("reason"), actor: try row.value("actor"), at: try row.value("at"))
        }
    }

    public func countByStatus() async throws -> [PaymentStatus: Int] {
        try await PostgresPaging.countByStatus(database, table: "payments.payments", as: PaymentStatus.self)
    }

    public func renewClaims(paymentIds: [Int64], until: Date, claimant: String?) async throws {
        guard !paymentIds.isEmpty else { return }
        try await database.execute("""
            UPDATE payments.payments SET claim_expires_at = \(until), claimed_by = \(claimant)
            WHERE id = ANY(\(paymentIds)) AND status = \(PaymentStatus.processing.rawValue)
            """)
    }

    /// One statement: rows another sweeper has locked are skipped, and the expiry is checked again
    /// on the locked row, so a payment goes to one sweeper. Not run again after a dropped
    /// connection (the default): the payments it took would be taken, and then left to the next
    /// sweep once this claim runs out.
    public func takeOverClaims(expiredBefore now: Date, orClaimedBy previousSelf: String?, claimant: String?,
                               until: Date) async throws -> [PaymentRecord] {
        // `claimed_by = NULL` matches nothing: no previous self, only expired claims.
        try await database.rows("""
            UPDATE payments.payments SET claim_expires_at = \(until), claimed_by = \(claimant)
            WHERE id IN (SELECT id FROM payments.payments
                         WHERE status = \(PaymentStatus.processing.rawValue)
                           AND (claim_expires_at IS NULL OR claim_expires_at < \(now) OR claimed_by = \(previousSelf))
                         ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED)
            RETURNING \(unescaped: Self.columns)
            """).map(Self.record)
    }

    public func rememberCancelledOrders(_ orderIds: [Int64]) async throws {
        guard !orderIds.isEmpty else { return }
        let logger = self.logger
        try await database.transaction { connection in
            try await Self.lockOrders(connection, orderIds, logger: logger)
            try await connection.queryIfOpen("""
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
        try await connection.queryIfOpen("""
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

    static func appendHistory(_ connection: PostgresConnection, _ entries: [(paymentId: Int64, entry: PaymentHistoryEntry)],
                              logger: Logger) async throws {
        guard !entries.isEmpty else { return }
        let rows = entries.map(\.entry)
        try await connection.queryIfOpen("""
            INSERT INTO payments.payment_history (payment_id, from_status, to_status, attempt, reason, actor, at)
            SELECT payment_id, NULLIF(from_status, ''), to_status, attempt, NULLIF(reason, ''), actor, at
            FROM unnest(\(entries.map(\.paymentId)), \(rows.map { $0.from?.rawValue ?? "" }), \(rows.map(\.to.rawValue)),
                        \(rows.map(\.attempt)), \(rows.map { $0.reason ?? "" }), \(rows.map(\.actor)), \(rows.map(\.at)))
                 WITH ORDINALITY AS h(payment_id, from_status, to_status, attempt, reason, actor, at, n)
            ORDER BY n
            """, logger: logger)
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
