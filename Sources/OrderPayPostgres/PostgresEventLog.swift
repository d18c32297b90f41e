import Foundation
import Logging
import OrderPayCore
import OrderPayServices
import PostgresNIO

/// The event log in schema `events`, for when Kafka is not configured: per-topic offsets,
/// consumer-group offsets, relay cursors and dead letters, shared by every process on the database.
///
/// Appends take the log's head row lock, so sequence numbers and offsets become visible in the
/// order they were handed out (a reader never passes over an offset whose transaction commits
/// later). Each append NOTIFYs `orderpay_events`; every process LISTENs, so consumers in other
/// processes wake at once rather than on their next timed look.
public final class PostgresEventLog: EventLog, @unchecked Sendable {
    public let appended = Signal()
    private let topicSignals = Dictionary(uniqueKeysWithValues: Topic.allCases.map { ($0, Signal()) })
    let database: PostgresDatabase
    private var listener: Task<Void, Never>?
    static let channel = "orderpay_events"

    public func appended(to topic: Topic) -> Signal { topicSignals[topic]! }

    public static func open(_ database: PostgresDatabase) async throws -> PostgresEventLog {
        var migrations = PostgresMigrations(schema: "events")
        migrations.add("v1", [
            """
            CREATE TABLE events.events (
                seq BIGINT PRIMARY KEY, topic TEXT NOT NULL, topic_offset BIGINT NOT NULL, event_id TEXT NOT NULL UNIQUE,
                type TEXT NOT NULL, key TEXT NOT NULL, payload TEXT NOT NULL, occurred_at TIMESTAMPTZ NOT NULL, trace_id TEXT,
                UNIQUE (topic, topic_offset))
            """,
            "CREATE TABLE events.log_head (singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton), last_seq BIGINT NOT NULL)",
            "INSERT INTO events.log_head (singleton, last_seq) VALUES (TRUE, 0)",
            "CREATE TABLE events.topic_heads (topic TEXT PRIMARY KEY, next_offset BIGINT NOT NULL)",
            """
            CREATE TABLE events.consumer_offsets (
                consumer_group TEXT NOT NULL, topic TEXT NOT NULL, next_offset BIGINT NOT NULL, PRIMARY KEY (consumer_group, topic))
            """,
            "CREATE TABLE events.relay_cursors (source TEXT PRIMARY KEY, outbox_id BIGINT NOT NULL)",
            """
            CREATE TABLE events.dead_letters (
                id BIGSERIAL PRIMARY KEY, consumer_group TEXT NOT NULL, event_seq BIGINT NOT NULL REFERENCES events.events(seq),
                error TEXT NOT NULL, attempts INTEGER NOT NULL, failed_at TIMESTAMPTZ NOT NULL, replayed_at TIMESTAMPTZ)
            """,
        ])
        // A dead letter whose event is not in this log (it came through Kafka) keeps a copy of it.
        migrations.add("v2-dead-letters-keep-their-event", [
            """
            ALTER TABLE events.dead_letters ALTER COLUMN event_seq DROP NOT NULL,
                ADD COLUMN topic TEXT, ADD COLUMN topic_offset BIGINT, ADD COLUMN event_id TEXT, ADD COLUMN type TEXT,
                ADD COLUMN key TEXT, ADD COLUMN payload TEXT, ADD COLUMN occurred_at TIMESTAMPTZ, ADD COLUMN trace_id TEXT,
                ADD CHECK (event_seq IS NOT NULL OR (topic IS NOT NULL AND topic_offset IS NOT NULL AND event_id IS NOT NULL
                    AND type IS NOT NULL AND key IS NOT NULL AND payload IS NOT NULL AND occurred_at IS NOT NULL))
            """,
        ])
        try await migrations.apply(on: database)
        let log = PostgresEventLog(database: database)
        log.listen()
        return log
    }

    init(database: PostgresDatabase) { self.database = database }

    deinit { listener?.cancel() }

    /// Stops listening for other processes' appends.
    public func close() { listener?.cancel() }

    private func notify(_ topics: Set<Topic>) {
        topics.forEach { topicSignals[$0]?.notify() }
        appended.notify()
    }

    /// The task holds the signals, not the log, so a log no one uses goes away (and its deinit
    /// cancels the task).
    private func listen() {
        let database = self.database, topicSignals = self.topicSignals, appended = self.appended
        listener = Task {
            await database.listen(on: Self.channel) { payload in
                // nil: whatever was appended while we were not listening: wake everyone once.
                let topics = payload.map { Set($0.split(separator: ",").compactMap { Topic(rawValue: String($0)) }) } ?? Set(Topic.allCases)
                topics.forEach { topicSignals[$0]?.notify() }
                appended.notify()
            }
        }
    }

    public func append(_ drafts: [EventDraft]) async throws {
        guard !drafts.isEmpty else { return }
        try await insert(drafts.map(SerializedEvent.init), cursor: nil)
    }

    public func relay(_ events: [SerializedEvent], from source: String, through outboxId: Int64) async throws {
        guard !events.isEmpty else { return }
        try await insert(events, cursor: (source, outboxId))
    }

    private func insert(_ events: [SerializedEvent], cursor: (source: String, outboxId: Int64)?) async throws {
        let logger = database.logger
        let topics: Set<Topic> = try await database.transaction { connection in
            var seq: Int64 = try await connection.rows("SELECT last_seq FROM events.log_head FOR UPDATE", logger: logger)[0].value("last_seq")
            let ids = events.map(\.eventId)
            let present = Set(try await connection.rows("SELECT event_id FROM events.events WHERE event_id = ANY(\(ids))", logger: logger)
                .map { try $0.value("event_id", as: String.self) })
            var next: [Topic: Int64] = [:]
            for row in try await connection.rows("SELECT topic, next_offset FROM events.topic_heads", logger: logger) {
                if let topic = Topic(rawValue: try row.value("topic")) { next[topic] = try row.value("next_offset") }
            }
            var seen = present
            var topics = Set<Topic>()
            var rows: (seq: [Int64], topic: [String], offset: [Int64], event: [SerializedEvent]) = ([], [], [], [])
            for event in events where !seen.contains(event.eventId) {
                seen.insert(event.eventId)
                seq += 1
                let offset = next[event.topic] ?? 0
                next[event.topic] = offset + 1
                topics.insert(event.topic)
                rows.seq.append(seq); rows.topic.append(event.topic.rawValue); rows.offset.append(offset); rows.event.append(event)
            }
            if !rows.seq.isEmpty {
                let batch = rows.event
                try await connection.queryIfOpen("""
                    INSERT INTO events.events (seq, topic, topic_offset, event_id, type, key, payload, occurred_at, trace_id)
                    SELECT seq, topic, topic_offset, event_id, type, key, payload, occurred_at, NULLIF(trace_id, '')
                    FROM unnest(\(rows.seq), \(rows.topic), \(rows.offset), \(batch.map(\.eventId)), \(batch.map(\.type)),
                                \(batch.map(\.key)), \(batch.map(\.payload)), \(batch.map(\.occurredAt)), \(batch.map { $0.traceId ?? "" }))
                         AS e(seq, topic, topic_offset, event_id, type, key, payload, occurred_at, trace_id)
                    """, logger: logger)
            }
            if !topics.isEmpty {
                let names = topics.map(\.rawValue), offsets = topics.map { next[$0]! }
                try await connection.queryIfOpen("""
                    INSERT INTO events.topic_heads (topic, next_offset) SELECT * FROM unnest(\(names), \(offsets))
                    ON CONFLICT (topic) DO UPDATE SET next_offset = excluded.next_offset
                    """, logger: logger)
            }
            try await connection.queryIfOpen("UPDATE events.log_head SET last_seq = \(seq)", logger: logger)
            if let cursor {
                // GREATEST: two processes relaying one outbox never move its cursor backwards.
                try await connection.queryIfOpen("""
                    INSERT INTO events.relay_cursors (source, outbox_id) VALUES (\(cursor.source), \(cursor.outboxId))
                    ON CONFLICT (source) DO UPDATE SET outbox_id = GREATEST(events.relay_cursors.outbox_id, excluded.outbox_id)
                    """, logger: logger)
            }
            if !topics.isEmpty {
                let payload = topics.map(\.rawValue).sorted().joined(separator: ",")
                try await connection.queryIfOpen("SELECT pg_notify(\(Self.channel), \(payload))", logger: logger)
            }
            return topics
        }
        notify(topics)
    }

    public func relayCursor(source: String) async throws -> Int64 {
        try await database.read("SELECT outbox_id FROM events.relay_cursors WHERE source = \(source)").first?.value("outbox_id") ?? 0
    }

    public func read(topic: Topic, from offset: Int64, limit: Int) async throws -> [EventEnvelope] {
        try await database.read("""
            SELECT * FROM events.events WHERE topic = \(topic.rawValue) AND topic_offset >= \(offset) ORDER BY topic_offset LIMIT \(limit)
            """).map { try Self.logged($0).envelope }
    }

    public func tail(after sequence: Int64, topics: Set<Topic>?, limit: Int) async throws -> [LoggedEvent] {
        let names = Self.names(topics)
        return try await database.read("""
            SELECT * FROM events.events WHERE seq > \(sequence) AND (\(names)::text[] IS NULL OR topic = ANY(\(names)))
            ORDER BY seq LIMIT \(limit)
            """).map(Self.logged)
    }

    public func latest(count: Int, topics: Set<Topic>?) async throws -> [LoggedEvent] {
        let names = Self.names(topics)
        return try await database.read("""
            SELECT * FROM events.events WHERE (\(names)::text[] IS NULL OR topic = ANY(\(names))) ORDER BY seq DESC LIMIT \(count)
            """).map(Self.logged).reversed()
    }

    public func endOffset(topic: Topic) async throws -> Int64 {
        try await database.read("SELECT next_offset FROM events.topic_heads WHERE topic = \(topic.rawValue)").first?.value("next_offset") ?? 0
    }

    public func committedOffset(group: String, topic: Topic) async throws -> Int64 {
        try await database.read("""
            SELECT next_offset FROM events.consumer_offsets WHERE consumer_group = \(group) AND topic = \(topic.rawValue)
            """).first?.value("next_offset") ?? 0
    }

    public func commit(group: String, topic: Topic, offset: Int64) async throws {
        // GREATEST keeps a slow, older writer from moving a group's offset backwards.
        try await database.execute("""
            INSERT INTO events.consumer_offsets (consumer_group, topic, next_offset) VALUES (\(group), \(topic.rawValue), \(offset))
            ON CONFLICT (consumer_group, topic) DO UPDATE SET next_offset = GREATEST(events.consumer_offsets.next_offset, excluded.next_offset)
            """)
    }

    /// Refers to the event in this log; an event that is not in it (it came through Kafka) is
    /// copied into the dead letter instead.
    public func addDeadLetter(group: String, event: EventEnvelope, error: String, attempts: Int) async throws {
        let copy = SerializedEvent(event)
        try await database.execute("""
            INSERT INTO events.dead_letters (consumer_group, event_seq, error, attempts, failed_at,
                topic, topic_offset, event_id, type, key, payload, occurred_at, trace_id)
            SELECT \(group), NULL, \(error), \(attempts), now(), \(copy.topic.rawValue), \(event.offset), \(copy.eventId), \(copy.type),
                \(copy.key), \(copy.payload), \(copy.occurredAt), \(copy.traceId)
            WHERE NOT EXISTS (SELECT 1 FROM events.events WHERE event_id = \(event.eventId))
            UNION ALL
            SELECT \(group), seq, \(error), \(attempts), now(), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
            FROM events.events WHERE event_id = \(event.eventId)
            """)
    }

    /// The dead letter's event: from this log, or the copy it keeps (`seq` 0).
    static let deadLetterSelect = """
        SELECT d.id AS dead_letter_id, d.consumer_group, d.error, d.attempts, d.failed_at, d.replayed_at,
            COALESCE(e.seq, 0) AS seq, COALESCE(e.topic, d.topic) AS topic, COALESCE(e.topic_offset, d.topic_offset) AS topic_offset,
            COALESCE(e.event_id, d.event_id) AS event_id, COALESCE(e.type, d.type) AS type, COALESCE(e.key, d.key) AS key,
            COALESCE(e.payload, d.payload) AS payload, COALESCE(e.occurred_at, d.occurred_at) AS occurred_at,
            CASE WHEN e.seq IS NULL THEN d.trace_id ELSE e.trace_id END AS trace_id
        FROM events.dead_letters d LEFT JOIN events.events e ON e.seq = d.event_seq
        """

    public func deadLetters(includeReplayed: Bool) async throws -> [DeadLetter] {
        try await database.read("""
            \(unescaped: Self.deadLetterSelect) \(unescaped: includeReplayed ? "" : "WHERE d.replayed_at IS NULL") ORDER BY d.id
            """).map(Self.deadLetter)
    }

    public func deadLetter(id: Int64) async throws -> DeadLetter? {
        try await database.read("\(unescaped: Self.deadLetterSelect) WHERE d.id = \(id)").first.map(Self.deadLetter)
    }

    public func markReplayed(id: Int64, at date: Date) async throws {
        try await database.execute("UPDATE events.dead_letters SET replayed_at = \(date) WHERE id = \(id)")
    }

    /// Every topic this build knows when none are named: a topic added by a newer version has no
    /// reader here, and its rows would stop every read across topics.
    static func names(_ topics: Set<Topic>?) -> [String]? {
        let topics = topics.flatMap { $0.isEmpty ? nil : $0 } ?? Set(Topic.allCases)
        return topics.map(\.rawValue).sorted()
    }

    static func logged(_ row: PostgresRandomAccessRow) throws -> LoggedEvent {
        let topicName: String = try row.value("topic")
        guard let topic = Topic(rawValue: topicName) else { throw AppError(.internal, "event on unknown topic \(topicName)") }
        let payload = EventPayload.decodeOrKeep(topic: topic, type: try row.value("type"), json: try row.value("payload"), key: try row.value("key"))
        let draft = EventDraft(eventId: try row.value("event_id"), occurredAt: try row.value("occurred_at"),
                               traceId: try row.optional("trace_id"), payload: payload)
        return LoggedEvent(sequence: try row.value("seq"), envelope: EventEnvelope(draft: draft, offset: try row.value("topic_offset")))
    }

    static func deadLetter(_ row: PostgresRandomAccessRow) throws -> DeadLetter {
        DeadLetter(id: try row.value("dead_letter_id"), group: try row.value("consumer_group"), event: try logged(row).envelope,
                   error: try row.value("error"), attempts: try row.value("attempts"), failedAt: try row.value("failed_at"),
                   replayedAt: try row.optional("replayed_at"))
    }
}
