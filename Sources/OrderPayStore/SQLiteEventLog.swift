import Foundation
import GRDB
import OrderPayCore
import OrderPayServices
import Synchronization

/// The event log on SQLite: one table, per-topic offsets, consumer-group offsets, dead letters.
/// Several processes can share the file; each wakes its own consumers through `appended`, and
/// learns of the others' appends from a watcher on the file's WAL (or, without inotify, on its
/// next timed wait).
public final class SQLiteEventLog: EventLog, @unchecked Sendable {
    public let appended = Signal()
    private let recent = RecentEvents()
    /// Per outbox, the relay cursor as this process last wrote it.
    private let relayedThrough = Mutex<[String: Int64]>([:])
    private let topicSignals = Dictionary(uniqueKeysWithValues: Topic.allCases.map { ($0, Signal()) })
    let pool: DatabasePool
    /// Every write: concurrent ones share a commit (and its sync to disk).
    let writes: GroupCommitter

    public func appended(to topic: Topic) -> Signal { topicSignals[topic]! }

    private func notify(_ topics: Set<Topic>) {
        topics.forEach { topicSignals[$0]?.notify() }
        appended.notify()
    }

    private var watcher: FileChangeWatcher?

    public init(path: String, settings: SQLiteDatabase.Settings = .init()) throws {
        pool = try SQLiteDatabase.open(path: path, settings: settings, migrator: Self.migrator)
        writes = GroupCommitter(pool: pool)
        // Other processes on the same data dir (orderpay up, a CLI beside a console) append too:
        // wake this process's consumers when the log's WAL changes, not on their next timed wait.
        let url = URL(fileURLWithPath: path)
        // The WAL also changes with every write of this process (each relay copy, each offset
        // commit, several inotify events per commit): waking every consumer for each of those cost
        // a context switch and an empty read per consumer. The watcher coalesces changes over a
        // short window instead; a change is still followed by a wake-up (at most 2 ms later).
        let signals = Array(topicSignals.values) + [appended]
        watcher = FileChangeWatcher(directory: url.deletingLastPathComponent().path, fileNames: [url.lastPathComponent + "-wal"],
                                    window: .milliseconds(2)) {
            signals.forEach { $0.notify() }
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    topic TEXT NOT NULL,
                    topic_offset INTEGER NOT NULL,
                    event_id TEXT NOT NULL UNIQUE,
                    type TEXT NOT NULL,
                    key TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    occurred_at REAL NOT NULL,
                    trace_id TEXT,
                    UNIQUE (topic, topic_offset)
                );
                CREATE TABLE consumer_offsets (
                    consumer_group TEXT NOT NULL,
                    topic TEXT NOT NULL,
                    next_offset INTEGER NOT NULL,
                    PRIMARY KEY (consumer_group, topic)
                );
                CREATE TABLE relay_cursors (
                    source TEXT PRIMARY KEY,
                    outbox_id INTEGER NOT NULL
                );
                CREATE TABLE dead_letters (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    consumer_group TEXT NOT NULL,
                    event_seq INTEGER NOT NULL REFERENCES events(seq),
                    error TEXT NOT NULL,
                    attempts INTEGER NOT NULL,
                    failed_at REAL NOT NULL,
                    replayed_at REAL
                );
                """)
        }
        // Events are never deleted: the sequence needs no AUTOINCREMENT to stay increasing.
        migrator.registerMigration("v2-plain-rowids") { db in try PlainRowIDs.migrate(db, tables: ["events"]) }
        // A dead letter whose event is not in this log (it came through Kafka) keeps a copy of it.
        migrator.registerMigration("v3-dead-letters-keep-their-event") { db in
            try db.execute(sql: """
                CREATE TABLE dead_letters_new (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    consumer_group TEXT NOT NULL,
                    event_seq INTEGER REFERENCES events(seq),
                    error TEXT NOT NULL,
                    attempts INTEGER NOT NULL,
                    failed_at REAL NOT NULL,
                    replayed_at REAL,
                    topic TEXT, topic_offset INTEGER, event_id TEXT, type TEXT, key TEXT, payload TEXT,
                    occurred_at REAL, trace_id TEXT,
                    CHECK (event_seq IS NOT NULL OR (topic IS NOT NULL AND topic_offset IS NOT NULL AND event_id IS NOT NULL
                        AND type IS NOT NULL AND key IS NOT NULL AND payload IS NOT NULL AND occurred_at IS NOT NULL))
                );
                INSERT INTO dead_letters_new (id, consumer_group, event_seq, error, attempts, failed_at, replayed_at)
                    SELECT id, consumer_group, event_seq, error, attempts, failed_at, replayed_at FROM dead_letters;
                DROP TABLE dead_letters;
                ALTER TABLE dead_letters_new RENAME TO dead_letters;
                """)
        }
        return migrator
    }

    public func append(_ drafts: [EventDraft]) async throws {
        guard !drafts.isEmpty else { return }
        let events = drafts.map(SerializedEvent.init)
        let stored = try await writes.write { db in try Self.insert(db, events) }
        let byId = Dictionary(drafts.map { ($0.eventId, $0) }, uniquingKeysWith: { first, _ in first })
        recent.record(stored.compactMap { stored in
            byId[stored.event.eventId].map { Self.asStored($0, sequence: stored.sequence, offset: stored.offset) }
        })
        notify(Set(events.map(\.topic)))
    }

    public func relay(_ events: [SerializedEvent], from source: String, through outboxId: Int64) async throws {
        guard !events.isEmpty else { return }
        let expectedCursor = relayedThrough.withLock { $0[source] }
        let (stored, written) = try await writes.write { db in
            let cursor = try Int64.fetchOne(db.cachedStatement(sql: "SELECT outbox_id FROM relay_cursors WHERE source = ?"), arguments: [source]) ?? 0
            // The cursor is where this process left it: nobody else copied from this outbox since,
            // so none of these events can be in the log yet and the per-event lookup is skipped.
            let stored = try Self.insert(db, events, skippingPresent: cursor != expectedCursor)
            try db.run("""
                INSERT INTO relay_cursors (source, outbox_id) VALUES (?, ?)
                ON CONFLICT (source) DO UPDATE SET outbox_id = MAX(outbox_id, excluded.outbox_id)
                """, [source, outboxId])
            // What this process wrote, not the MAX the row now holds: when another process is
            // ahead, this relay's next batch may overlap what that one copied, and must look.
            return (stored, outboxId)
        }
        relayedThrough.withLock { $0[source] = written }
        recent.record(stored.compactMap { stored in
            (try? RecentDrafts.shared.draft(of: stored.event)).map { Self.asStored($0, sequence: stored.sequence, offset: stored.offset) }
        })
        notify(Set(events.map(\.topic)))
    }

    public func relayCursor(source: String) async throws -> Int64 {
        try pool.readNow { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT outbox_id FROM relay_cursors WHERE source = ?"), arguments: [source]) ?? 0
        }
    }

    /// Inserts the events not already in the log; returns where each inserted one went.
    static func insert(_ db: Database, _ events: [SerializedEvent], skippingPresent: Bool = true) throws -> [(event: SerializedEvent, sequence: Int64, offset: Int64)] {
        var next: [Topic: Int64] = [:]
        var stored: [(event: SerializedEvent, sequence: Int64, offset: Int64)] = []
        stored.reserveCapacity(events.count)
        for event in events {
            if skippingPresent, try db.row("SELECT 1 FROM events WHERE event_id = ?", [event.eventId]) != nil { continue }
            let offset = try next[event.topic] ?? Self.endOffset(db, event.topic)
            try db.run("""
                INSERT INTO events (topic, topic_offset, event_id, type, key, payload, occurred_at, trace_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, [event.topic.rawValue, offset, event.eventId, event.type, event.key,
                      event.payload, event.occurredAt.storageValue, event.traceId])
            stored.append((event, db.lastInsertedRowID, offset))
            next[event.topic] = offset + 1
        }
        return stored
    }

    public func read(topic: Topic, from offset: Int64, limit: Int) async throws -> [EventEnvelope] {
        if let recent = recent.read(topic: topic, from: offset, limit: limit) { return recent }
        return try pool.readNow { db in
            try db.rows("SELECT * FROM events WHERE topic = ? AND topic_offset >= ? ORDER BY topic_offset LIMIT ?",
                        [topic.rawValue, offset, limit]) { try Self.logged($0).envelope }
        }
    }

    public func tail(after sequence: Int64, topics: Set<Topic>?, limit: Int) async throws -> [LoggedEvent] {
        // Across several topics a run from the window could skip another process's event of one
        // of them; a single topic's run has no such gap.
        if let topics, topics.count == 1, let recent = recent.tail(after: sequence, topic: topics.first!, limit: limit) { return recent }
        let (clause, arguments) = Self.topicClause(topics)
        return try pool.readNow { db in
            try db.rows("SELECT * FROM events WHERE seq > ? \(clause) ORDER BY seq LIMIT ?",
                        [sequence] + arguments + [limit], as: Self.logged)
        }
    }

    public func latest(count: Int, topics: Set<Topic>?) async throws -> [LoggedEvent] {
        let (clause, arguments) = Self.topicClause(topics)
        return try pool.readNow { db in
            try db.rows("SELECT * FROM events WHERE 1 \(clause) ORDER BY seq DESC LIMIT ?",
                             arguments: arguments + [count]).map(Self.logged).reversed()
        }
    }

    public func endOffset(topic: Topic) async throws -> Int64 {
        try pool.readNow { db in try Self.endOffset(db, topic) }
    }

    public func committedOffset(group: String, topic: Topic) async throws -> Int64 {
        try pool.readNow { db in
            try Int64.fetchOne(db, sql: "SELECT next_offset FROM consumer_offsets WHERE consumer_group = ? AND topic = ?",
                               arguments: [group, topic.rawValue]) ?? 0
        }
    }

    public func commit(group: String, topic: Topic, offset: Int64) async throws {
        try await writes.write { db in
            // MAX keeps a slow, older writer from moving a group's offset backwards.
            try db.run("""
                INSERT INTO consumer_offsets (consumer_group, topic, next_offset) VALUES (?, ?, ?)
                ON CONFLICT (consumer_group, topic) DO UPDATE SET next_offset = MAX(next_offset, excluded.next_offset)
                """, [group, topic.rawValue, offset])
        }
    }

    /// Refers to the event in this log; an event that is not in it (it came through Kafka) is
    /// copied into the dead letter instead.
    public func addDeadLetter(group: String, event: EventEnvelope, error: String, attempts: Int) async throws {
        try await writes.write { db in
            let now = Date().storageValue
            if let seq = try Int64.fetchOne(db, sql: "SELECT seq FROM events WHERE event_id = ?", arguments: [event.eventId]) {
                try db.run("INSERT INTO dead_letters (consumer_group, event_seq, error, attempts, failed_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [group, seq, error, attempts, now])
            } else {
                let copy = SerializedEvent(event)
                try db.run("""
                    INSERT INTO dead_letters (consumer_group, error, attempts, failed_at,
                        topic, topic_offset, event_id, type, key, payload, occurred_at, trace_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [group, error, attempts, now, copy.topic.rawValue, event.offset, copy.eventId, copy.type,
                                    copy.key, copy.payload, copy.occurredAt.storageValue, copy.traceId])
            }
        }
    }

    /// The dead letter's event: from this log, or the copy it keeps (`seq` 0).
    static let deadLetterSelect = """
        SELECT d.id AS dead_letter_id, d.consumer_group, d.error, d.attempts, d.failed_at, d.replayed_at,
            COALESCE(e.seq, 0) AS seq, COALESCE(e.topic, d.topic) AS topic, COALESCE(e.topic_offset, d.topic_offset) AS topic_offset,
            COALESCE(e.event_id, d.event_id) AS event_id, COALESCE(e.type, d.type) AS type, COALESCE(e.key, d.key) AS key,
            COALESCE(e.payload, d.payload) AS payload, COALESCE(e.occurred_at, d.occurred_at) AS occurred_at,
            CASE WHEN e.seq IS NULL THEN d.trace_id ELSE e.trace_id END AS trace_id
        FROM dead_letters d LEFT JOIN events e ON e.seq = d.event_seq
        """

    public func deadLetters(includeReplayed: Bool) async throws -> [DeadLetter] {
        try pool.readNow { db in
            try db.rows("\(Self.deadLetterSelect) \(includeReplayed ? "" : "WHERE d.replayed_at IS NULL") ORDER BY d.id").map(Self.deadLetter)
        }
    }

    public func deadLetter(id: Int64) async throws -> DeadLetter? {
        try pool.readNow { db in
            try db.row("\(Self.deadLetterSelect) WHERE d.id = ?", [id]).map(Self.deadLetter)
        }
    }

    public func markReplayed(id: Int64, at date: Date) async throws {
        try await writes.write { db in
            try db.run("UPDATE dead_letters SET replayed_at = ? WHERE id = ?", [date.storageValue, id])
        }
    }

    static func endOffset(_ db: Database, _ topic: Topic) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(topic_offset) + 1 FROM events WHERE topic = ?"), arguments: [topic.rawValue]) ?? 0
    }

    /// Every topic this build knows when none are named: a topic added by a newer version has no
    /// reader here, and its rows would stop every read across topics.
    static func topicClause(_ topics: Set<Topic>?) -> (String, StatementArguments) {
        let names = (topics.flatMap { $0.isEmpty ? nil : $0 } ?? Set(Topic.allCases)).map(\.rawValue).sorted()
        // `+topic`: keeps SQLite off the (topic, topic_offset) index here. With it, "after seq N" or
        // "the latest N" of a topic walked every event the topic ever had and sorted them by seq,
        // a cost that grew with the log (40 % of `bench flow`'s CPU after a few thousand orders,
        // in its completion watcher); on the seq key it reads only the rows it returns, plus the
        // other topics' rows in between.
        return ("AND +topic IN (\(databaseQuestionMarks(count: names.count)))", StatementArguments(names))
    }

    /// A just-appended event exactly as a read from SQLite would return it (the time as stored).
    static func asStored(_ draft: EventDraft, sequence: Int64, offset: Int64) -> LoggedEvent {
        var draft = draft
        draft.occurredAt = Date(timeIntervalSince1970: draft.occurredAt.storageValue)
        return LoggedEvent(sequence: sequence, envelope: EventEnvelope(draft: draft, offset: offset))
    }

    static func logged(_ row: Row) throws -> LoggedEvent {
        let topicName: String = row["topic"]
        guard let topic = Topic(rawValue: topicName) else { throw AppError(.internal, "event \(row["event_id"] as String) is on unknown topic \(topicName)") }
        let payload = EventPayload.decodeOrKeep(topic: topic, type: row["type"], json: row["payload"], key: row["key"])
        let draft = EventDraft(eventId: row["event_id"], occurredAt: row.date("occurred_at"), traceId: row["trace_id"], payload: payload)
        return LoggedEvent(sequence: row["seq"], envelope: EventEnvelope(draft: draft, offset: row["topic_offset"]))
    }

    static func deadLetter(_ row: Row) throws -> DeadLetter {
        DeadLetter(id: row["dead_letter_id"], group: row["consumer_group"], event: try logged(row).envelope,
                   error: row["error"], attempts: row["attempts"], failedAt: row.date("failed_at"),
                   replayedAt: row.optionalDate("replayed_at"))
    }
}
