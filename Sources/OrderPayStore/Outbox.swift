import Foundation
import GRDB
import OrderPayCore

/// The transactional outbox and inbox every service database carries.
///
/// Outbox: events are inserted in the same transaction as the state change they describe; the
/// relay later copies them to the event log. Inbox (`processed_events`): for handlers whose
/// state cannot tell a redelivery from news (the payment service following order statuses), a
/// consumed event's id is recorded in the handler's transaction, so a redelivery is skipped.
/// Handlers whose state can (a claim meets the order's existing payment, an outcome carries an
/// attempt the order already recorded) write no inbox row.
enum Outbox {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE outbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                event_id TEXT NOT NULL,
                topic TEXT NOT NULL,
                type TEXT NOT NULL,
                key TEXT NOT NULL,
                payload TEXT NOT NULL,
                occurred_at REAL NOT NULL,
                trace_id TEXT
            );
            CREATE TABLE processed_events (
                event_id TEXT NOT NULL,
                consumer_group TEXT NOT NULL,
                processed_at REAL NOT NULL,
                PRIMARY KEY (event_id, consumer_group)
            );
            """)
    }

    /// Inserts the events; returns the rows, for `RecentOutbox` once the transaction committed.
    static func enqueue(_ db: Database, _ events: [EventDraft]) throws -> [OutboxRow] {
        RecentDrafts.shared.remember(events)
        return try events.map { draft in
            var event = SerializedEvent(draft)
            try db.run("INSERT INTO outbox (event_id, topic, type, key, payload, occurred_at, trace_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [event.eventId, event.topic.rawValue, event.type, event.key, event.payload, event.occurredAt.storageValue, event.traceId])
            // As a read would return it: the relay may take it from memory instead of the table.
            event.occurredAt = Date(timeIntervalSince1970: event.occurredAt.storageValue)
            return (db.lastInsertedRowID, event)
        }
    }

    /// Records that `group` consumed `eventId`; false when it already had (a redelivery).
    static func markProcessed(_ db: Database, eventId: String, group: String, at: Date) throws -> Bool {
        try db.run("INSERT OR IGNORE INTO processed_events (event_id, consumer_group, processed_at) VALUES (?, ?, ?)",
            arguments: [eventId, group, at.storageValue])
        return db.changesCount == 1
    }

    /// The rows still in the outbox after `id`, oldest first: from `recent` when it holds them all,
    /// else from the table. Deletes only ever take a prefix (copied rows), so the oldest row left
    /// says which remembered rows are gone, whichever process deleted them (a Kafka relay asks for
    /// everything left, `after: 0`, and deletes what it sent).
    static func pending(_ pool: DatabasePool, recent: RecentOutbox, after id: Int64, limit: Int) throws -> [OutboxRow] {
        try pool.readNow { db in
            guard let oldest = try Int64.fetchOne(db.cachedStatement(sql: "SELECT MIN(id) FROM outbox")) else { return [] }
            if let rows = recent.pending(after: max(id, oldest - 1), limit: limit) { return rows }
            return try pending(db, after: id, limit: limit)
        }
    }

    static func pending(_ db: Database, after id: Int64, limit: Int) throws -> [OutboxRow] {
        try db.rows("SELECT * FROM outbox WHERE id > ? ORDER BY id LIMIT ?", [id, limit]) { row -> OutboxRow? in
            guard let topic = Topic(rawValue: row["topic"]) else { return nil }
            return (row["id"], SerializedEvent(eventId: row["event_id"], topic: topic, type: row["type"], key: row["key"],
                                               payload: row["payload"], occurredAt: row.date("occurred_at"), traceId: row["trace_id"]))
        }.compactMap { $0 }
    }

    static func newest(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(id) FROM outbox")) ?? 0
    }

    static func remove(_ db: Database, upTo id: Int64) throws {
        try db.run("DELETE FROM outbox WHERE id <= ?", [id])
    }
}

/// One outbox row: its id (the relay's cursor) and its event.
public typealias OutboxRow = (id: Int64, event: SerializedEvent)

/// A store whose outbox the relay drains.
public protocol OutboxSource: AnyObject, Sendable {
    var name: String { get }
    /// Outbox events with an id above `id`, oldest first.
    func pendingEvents(after id: Int64, limit: Int) async throws -> [OutboxRow]
    /// The id of the newest event in the outbox (0 when empty): the relay is idle once it copied it.
    func newestEventId() async throws -> Int64
    /// Deletes events the relay has copied (housekeeping, off the hot path).
    func removeEvents(upTo id: Int64) async throws
    /// Fires after a commit that enqueued events, so the relay wakes at once.
    var outboxSignal: Signal { get }
    /// Takes or renews the lease that lets one Kafka relay at a time publish this outbox (several
    /// processes share a database): true when `owner` holds it for `duration` from now, false
    /// while another owner's lease runs. A lease that ran out (its relay died) goes to the next asker.
    func holdRelayLease(owner: String, for duration: Duration) async throws -> Bool
    /// Gives the lease up (a relay stopping), so another relay takes over at once.
    func releaseRelayLease(owner: String) async throws
    /// Tells the relay holding the lease, in whichever process sharing this database, that events
    /// were enqueued here: this process's `outboxSignal` cannot wake it.
    func nudgeRelay() async throws
    /// Calls `onNudge` for every `nudgeRelay()` of any process on this database (this one's too)
    /// until the task is cancelled; reconnects by itself after a lost connection.
    func watchRelayNudges(_ onNudge: @escaping @Sendable () -> Void) async
}
