import Foundation
import Logging
import OrderPayCore
import PostgresNIO

/// The transactional outbox and inbox of one service schema, on PostgreSQL.
///
/// Outbox ids must become visible in id order, or the relay (which reads "ids above my cursor")
/// could pass over a row whose transaction commits late. A serial column does not give that under
/// concurrent writers, so ids come from a one-row counter updated as the transaction's last
/// statement: its row lock is held until commit, so a later id is only handed out once every
/// earlier one is committed (or rolled back).
struct PostgresOutbox: Sendable {
    let schema: String

    var migration: [String] {
        ["""
        CREATE TABLE \(schema).outbox (
            id BIGINT PRIMARY KEY, event_id TEXT NOT NULL, topic TEXT NOT NULL, type TEXT NOT NULL, key TEXT NOT NULL,
            payload TEXT NOT NULL, occurred_at TIMESTAMPTZ NOT NULL, trace_id TEXT)
        """,
         "CREATE TABLE \(schema).outbox_head (singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton), last_id BIGINT NOT NULL)",
         "INSERT INTO \(schema).outbox_head (singleton, last_id) VALUES (TRUE, 0)",
         """
        CREATE TABLE \(schema).processed_events (
            event_id TEXT NOT NULL, consumer_group TEXT NOT NULL, processed_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (event_id, consumer_group))
        """]
    }

    /// The Kafka relay's lease (see `OutboxSource.holdRelayLease`): a row of its own, not a column
    /// of `outbox_head`, whose row lock every enqueue holds until its commit.
    var leaseMigration: [String] {
        ["""
        CREATE TABLE \(schema).outbox_relay_lease (
            singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton), owner TEXT NOT NULL, expires_at TIMESTAMPTZ NOT NULL)
        """]
    }

    /// The server's clock decides expiry, so processes on machines whose clocks differ agree. Run
    /// again after a dropped connection: for the owner that took it, taking it again is a renewal.
    func holdLease(_ database: PostgresDatabase, owner: String, for duration: Duration) async throws -> Bool {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        let logger = database.logger, schema = self.schema
        return try await database.withConnection(rerun: .ifDropped) { connection in
            try await connection.rows("""
                INSERT INTO \(unescaped: schema).outbox_relay_lease (singleton, owner, expires_at)
                VALUES (TRUE, \(owner), now() + make_interval(secs => \(seconds)))
                ON CONFLICT (singleton) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
                WHERE outbox_relay_lease.owner = EXCLUDED.owner OR outbox_relay_lease.expires_at < now()
                RETURNING owner
                """, logger: logger)
        }.count == 1
    }

    func releaseLease(_ database: PostgresDatabase, owner: String) async throws {
        try await database.execute("DELETE FROM \(unescaped: schema).outbox_relay_lease WHERE owner = \(owner)")
    }

    /// Where an instance without the relay lease tells the holder that it enqueued events.
    var nudgeChannel: String { "orderpay_relay_\(schema)" }

    func nudgeRelay(_ database: PostgresDatabase) async throws {
        try await database.execute("SELECT pg_notify(\(nudgeChannel), '')")
    }

    /// Until the task is cancelled; also once each time listening (re)starts, for the nudges
    /// sent while no one listened.
    func watchRelayNudges(_ database: PostgresDatabase, _ onNudge: @escaping @Sendable () -> Void) async {
        await database.listen(on: nudgeChannel) { _ in onNudge() }
    }

    /// Call last in the transaction (see the type's comment).
    func enqueue(_ connection: PostgresConnection, _ drafts: [EventDraft], logger: Logger) async throws {
        guard !drafts.isEmpty else { return }
        let events = drafts.map(SerializedEvent.init)
        let head = try await connection.rows(
            "UPDATE \(unescaped: schema).outbox_head SET last_id = last_id + \(events.count) RETURNING last_id", logger: logger)
        let last: Int64 = try head[0].value("last_id")
        let first = last - Int64(events.count) + 1
        // One statement for the whole batch: round trips, not rows, are what a batch costs here.
        try await connection.queryIfOpen("""
            INSERT INTO \(unescaped: schema).outbox (id, event_id, topic, type, key, payload, occurred_at, trace_id)
            SELECT id, event_id, topic, type, key, payload, occurred_at, NULLIF(trace_id, '')
            FROM unnest(\(Array(first...last)), \(events.map(\.eventId)), \(events.map(\.topic.rawValue)), \(events.map(\.type)),
                        \(events.map(\.key)), \(events.map(\.payload)), \(events.map(\.occurredAt)), \(events.map { $0.traceId ?? "" }))
                 AS e(id, event_id, topic, type, key, payload, occurred_at, trace_id)
            """, logger: logger)
    }

    struct Consumed: Hashable {
        let id: String, group: String
        init(_ event: (id: String, group: String)) { id = event.id; group = event.group }
    }

    /// Records which of `events` their groups consume now; the others they already had (redeliveries).
    func markProcessed(_ connection: PostgresConnection, _ events: [(id: String, group: String)], logger: Logger) async throws -> Set<Consumed> {
        var fresh = Set<Consumed>()
        for (group, members) in Dictionary(grouping: events, by: \.group) {
            for id in try await markProcessed(connection, eventIds: members.map(\.id), group: group, logger: logger) {
                fresh.insert(Consumed((id, group)))
            }
        }
        return fresh
    }

    /// Records which of `eventIds` `group` consumes now; the others it already had (redeliveries).
    func markProcessed(_ connection: PostgresConnection, eventIds: [String], group: String, logger: Logger) async throws -> Set<String> {
        guard !eventIds.isEmpty else { return [] }
        return Set(try await connection.rows("""
            INSERT INTO \(unescaped: schema).processed_events (event_id, consumer_group, processed_at)
            SELECT DISTINCT id, \(group), now() FROM unnest(\(eventIds)) AS id ON CONFLICT DO NOTHING RETURNING event_id
            """, logger: logger).map { try $0.value("event_id", as: String.self) })
    }

    func pending(_ database: PostgresDatabase, after id: Int64, limit: Int) async throws -> [(id: Int64, event: SerializedEvent)] {
        try await database.read("""
            SELECT * FROM \(unescaped: schema).outbox WHERE id > \(id) ORDER BY id LIMIT \(limit)
            """).compactMap { row in
            guard let topic = Topic(rawValue: try row.value("topic")) else { return nil }
            return (try row.value("id"), SerializedEvent(
                eventId: try row.value("event_id"), topic: topic, type: try row.value("type"), key: try row.value("key"),
                payload: try row.value("payload"), occurredAt: try row.value("occurred_at"), traceId: try row.optional("trace_id")))
        }
    }

    func newest(_ database: PostgresDatabase) async throws -> Int64 {
        try await database.read("SELECT COALESCE(MAX(id), 0) AS newest FROM \(unescaped: schema).outbox")[0].value("newest")
    }

    func remove(_ database: PostgresDatabase, upTo id: Int64) async throws {
        try await database.execute("DELETE FROM \(unescaped: schema).outbox WHERE id <= \(id)")
    }
}
