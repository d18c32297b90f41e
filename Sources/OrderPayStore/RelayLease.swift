import Foundation
import GRDB

/// Which Kafka relay may publish this database's outbox. Several processes share one SQLite file
/// (instances of a service on one data dir); each runs a relay, and without a lease every one of
/// them published every row. A relay renews its lease as it works; a relay that died stops
/// renewing, and another takes over once the lease ran out (its unsent rows are still there).
enum RelayLease {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE relay_lease (
                singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                owner TEXT NOT NULL,
                expires_at REAL NOT NULL
            )
            """)
    }

    /// Takes the lease if it is free or ran out, renews it if `owner` holds it; true when held.
    /// The processes sharing a SQLite file share the machine's clock.
    static func hold(_ db: Database, owner: String, for duration: Duration, now: Date = Date()) throws -> Bool {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        try db.run("""
            INSERT INTO relay_lease (singleton, owner, expires_at) VALUES (1, ?, ?)
            ON CONFLICT (singleton) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
            WHERE relay_lease.owner = excluded.owner OR relay_lease.expires_at < ?
            """, [owner, now.timeIntervalSince1970 + seconds, now.timeIntervalSince1970])
        return db.changesCount == 1
    }

    static func release(_ db: Database, owner: String) throws {
        try db.run("DELETE FROM relay_lease WHERE owner = ?", [owner])
    }
}
