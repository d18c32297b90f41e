import Foundation
import GRDB
import OrderPayCore
import OrderPayServices

/// The payment service's database: payments (one per order, enforced by a unique constraint),
/// their history, outbox and inbox.
public final class SQLitePaymentStore: PaymentRepository, OutboxSource, @unchecked Sendable {
    public let name = "payments"
    public let outboxSignal = Signal()
    let pool: DatabasePool
    /// Every write: concurrent ones share a commit (and its sync to disk).
    let writes: GroupCommitter
    let recentOutbox = RecentOutbox()

    public init(path: String, settings: SQLiteDatabase.Settings = .init()) throws {
        pool = try SQLiteDatabase.open(path: path, settings: settings, migrator: Self.migrator)
        writes = GroupCommitter(pool: pool)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE payments (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    order_id INTEGER NOT NULL UNIQUE,
                    user_id INTEGER NOT NULL,
                    amount_minor INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    payment_method TEXT NOT NULL,
                    payment_token TEXT NOT NULL,
                    order_status TEXT NOT NULL,
                    attempts INTEGER NOT NULL,
                    failure_reason TEXT,
                    transaction_id TEXT,
                    refund_reason TEXT,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE INDEX payments_by_user ON payments (user_id, id);
                CREATE INDEX payments_by_status ON payments (status, id);
                CREATE TABLE payment_history (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    payment_id INTEGER NOT NULL REFERENCES payments(id),
                    from_status TEXT,
                    to_status TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    reason TEXT,
                    actor TEXT NOT NULL,
                    at REAL NOT NULL
                );
                CREATE INDEX payment_history_by_payment ON payment_history (payment_id, id);
                CREATE TABLE cancelled_orders (order_id INTEGER PRIMARY KEY);
                """)
            try Outbox.migrate(db)
        }
        migrator.registerMigration("v2-status-counts") { db in try StatusCounts.migrate(db, table: "payments") }
        migrator.registerMigration("v3-plain-rowids") { db in try PlainRowIDs.migrate(db, tables: ["payments", "payment_history"]) }
        migrator.registerMigration("v4-relay-lease") { db in try RelayLease.migrate(db) }
        // NULL (claims from before): expired, taken over by the first sweep.
        migrator.registerMigration("v5-claim-expiry") { db in
            try db.execute(sql: "ALTER TABLE payments ADD COLUMN claim_expires_at REAL")
        }
        // NULL: claimed anonymously (before, or by an instance without an id); only expiry frees it.
        migrator.registerMigration("v6-claimant") { db in
            try db.execute(sql: "ALTER TABLE payments ADD COLUMN claimed_by TEXT")
        }
        return migrator
    }

    /// The unique order_id alone turns a redelivered `order-created` away: no inbox row per claim.
    public func claim(_ claims: [PaymentClaim], group: String) async throws -> [PaymentRecord] {
        try await writes.write { db in
            var claimed: [PaymentRecord] = []
            for claim in claims {
                let order = claim.order
                if try db.row("SELECT 1 FROM cancelled_orders WHERE order_id = ?", [order.orderId]) != nil { continue }
                // INSERT OR IGNORE on the unique order_id: a second order-created for one order claims nothing.
                try db.run("""
                    INSERT OR IGNORE INTO payments (order_id, user_id, amount_minor, status, payment_method, payment_token,
                                                    order_status, attempts, created_at, updated_at, claim_expires_at, claimed_by)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)
                    """, [order.orderId, order.userId, order.totalAmount.minorUnits, PaymentStatus.processing.rawValue,
                                     order.paymentMethod.rawValue, order.paymentToken, OrderStatus.created.rawValue,
                                     claim.at.storageValue, claim.at.storageValue, claim.claimedUntil.storageValue, claim.claimant])
                guard db.changesCount == 1 else { continue }
                let id = db.lastInsertedRowID
                try Self.appendHistory(db, paymentId: id, [
                    PaymentHistoryEntry(from: nil, to: .pending, attempt: 1, reason: "order \(order.orderId) created", actor: "payment-service", at: claim.at),
                    PaymentHistoryEntry(from: .pending, to: .processing, attempt: 1, reason: "charging \(order.totalAmount)", actor: "payment-service", at: claim.at),
                ])
                // Built from what was just inserted rather than read back: a claim is the hot path.
                let at = Date(timeIntervalSince1970: claim.at.storageValue)   // as a read would return it
                claimed.append(PaymentRecord(
                    payment: Payment(id: id, orderId: order.orderId, userId: order.userId, amount: order.totalAmount, status: .processing,
                                     paymentMethod: order.paymentMethod, attempts: 1, createdAt: at, updatedAt: at),
                    paymentToken: order.paymentToken, orderStatus: .created))
            }
            return claimed
        }
    }

    public func apply(_ decisions: [PaymentDecision]) async throws -> [PaymentRecord] {
        let (changed, enqueued): ([PaymentRecord], [OutboxRow]) = try await writes.write { db in
            var changed: [PaymentRecord] = []
            var enqueued: [OutboxRow] = []
            for decision in decisions {
                if let consumed = decision.consumedEvent,
                   !(try Outbox.markProcessed(db, eventId: consumed.id, group: consumed.group, at: Date())) {
                    continue
                }
                let current: PaymentRecord?
                switch decision.key {
                case .payment(let id): current = try Self.fetch(db, where: "id = ?", id)
                case .order(let orderId): current = try Self.fetch(db, where: "order_id = ?", orderId)
                }
                guard let change = try decision.decide(current), let before = current else { continue }
                let p = change.record.payment
                try db.run("""
                    UPDATE payments SET status = ?, payment_token = ?, order_status = ?, attempts = ?, failure_reason = ?,
                        transaction_id = ?, refund_reason = ?, updated_at = ?
                    WHERE id = ? AND status = ? AND attempts = ?
                    """, [p.status.rawValue, change.record.paymentToken, change.record.orderStatus.rawValue, p.attempts,
                                     p.failureReason, p.transactionId, p.refundReason, p.updatedAt.storageValue,
                                     before.payment.id, before.payment.status.rawValue, before.payment.attempts])
                guard db.changesCount == 1 else { throw AppError.conflict("payment \(p.id) changed concurrently; try again") }
                try Self.appendHistory(db, paymentId: p.id, change.history)
                enqueued += try Outbox.enqueue(db, change.events)
                changed.append(change.record)
            }
            return (changed, enqueued)
        }
        recentOutbox.record(enqueued, waking: outboxSignal)
        return changed
    }

    public func record(id: Int64) async throws -> PaymentRecord? {
        try pool.readNow { db in try Self.fetch(db, where: "id = ?", id) }
    }

    public func record(orderId: Int64) async throws -> PaymentRecord? {
        try pool.readNow { db in try Self.fetch(db, where: "order_id = ?", orderId) }
    }

    public func list(_ filter: PaymentFilter, page: PageRequest) async throws -> Page<Payment> {
        try await pool.readAwaited { db in
            let (rows, total) = try db.page(of: "payments", userId: filter.userId, status: filter.status?.rawValue, page: page)
            return Page(content: rows.map { Self.record($0).payment }, request: page, total: total)
        }
    }

    public func history(paymentId: Int64) async throws -> [PaymentHistoryEntry] {
        try pool.readNow { db in
            try db.rows("SELECT * FROM payment_history WHERE payment_id = ? ORDER BY id", [paymentId]).map { row in
                PaymentHistoryEntry(from: (row["from_status"] as String?).flatMap(PaymentStatus.init(rawValue:)),
                                    to: PaymentStatus(rawValue: row["to_status"]) ?? .pending, attempt: row["attempt"],
                                    reason: row["reason"], actor: row["actor"], at: row.date("at"))
            }
        }
    }

    public func countByStatus() async throws -> [PaymentStatus: Int] {
        try pool.readNow { db in try db.countByStatus(in: "payments", as: PaymentStatus.self) }
    }

    public func renewClaims(paymentIds: [Int64], until: Date, claimant: String?) async throws {
        guard !paymentIds.isEmpty else { return }
        try await writes.write { db in
            for id in paymentIds {
                try db.run("UPDATE payments SET claim_expires_at = ?, claimed_by = ? WHERE id = ? AND status = ?",
                           [until.storageValue, claimant, id, PaymentStatus.processing.rawValue])
            }
        }
    }

    /// Read and re-claimed in one write transaction: SQLite runs one at a time, across processes too.
    public func takeOverClaims(expiredBefore now: Date, orClaimedBy previousSelf: String?, claimant: String?,
                               until: Date) async throws -> [PaymentRecord] {
        try await writes.write { db in
            // `claimed_by = NULL` matches nothing: no previous self, only expired claims.
            let stuck = try db.rows("""
                SELECT * FROM payments
                WHERE status = ? AND (claim_expires_at IS NULL OR claim_expires_at < ? OR claimed_by = ?) ORDER BY id LIMIT 500
                """, [PaymentStatus.processing.rawValue, now.storageValue, previousSelf], as: Self.record)
            for record in stuck {
                try db.run("UPDATE payments SET claim_expires_at = ?, claimed_by = ? WHERE id = ?",
                           [until.storageValue, claimant, record.payment.id])
            }
            return stuck
        }
    }

    public func rememberCancelledOrders(_ orderIds: [Int64]) async throws {
        try await writes.write { db in
            for id in orderIds { try db.run("INSERT OR IGNORE INTO cancelled_orders (order_id) VALUES (?)", [id]) }
        }
    }

    static func fetch(_ db: Database, where condition: String, _ value: Int64) throws -> PaymentRecord? {
        try db.row("SELECT * FROM payments WHERE \(condition)", [value], as: record)
    }

    static func record(_ row: Row) -> PaymentRecord {
        let payment = Payment(id: row["id"], orderId: row["order_id"], userId: row["user_id"], amount: row.money("amount_minor"),
                              status: PaymentStatus(rawValue: row["status"]) ?? .pending,
                              paymentMethod: PaymentMethod(rawValue: row["payment_method"]) ?? .creditCard,
                              attempts: row["attempts"], failureReason: row["failure_reason"], transactionId: row["transaction_id"],
                              refundReason: row["refund_reason"], createdAt: row.date("created_at"), updatedAt: row.date("updated_at"))
        return PaymentRecord(payment: payment, paymentToken: row["payment_token"],
                             orderStatus: OrderStatus(rawValue: row["order_status"]) ?? .created)
    }

    static func appendHistory(_ db: Database, paymentId: Int64, _ entries: [PaymentHistoryEntry]) throws {
        for e in entries {
            try db.run("""
                INSERT INTO payment_history (payment_id, from_status, to_status, attempt, reason, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, [paymentId, e.from?.rawValue, e.to.rawValue, e.attempt, e.reason, e.actor, e.at.storageValue])
        }
    }

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
