import Foundation
import GRDB
import OrderPayCore

/// The baseline for `orderpay bench flow`: single-row INSERT + COMMIT on its own SQLite file in
/// the same directory, with the same settings as the services' databases (and, like their hot
/// tables, a plain rowid key: see `PlainRowIDs`).
public enum RawCommitProbe {
    public struct Measurement: Sendable {
        public let commitsPerSecond: Double
        /// This process's CPU time per commit (the probe runs alone, so it is the probe's).
        public let cpuMicrosPerCommit: Double
    }

    public static func measure(directory: String, settings: SQLiteDatabase.Settings, duration: Duration = .seconds(2)) async throws -> Measurement {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: "CREATE TABLE probe (id INTEGER PRIMARY KEY, payload TEXT NOT NULL, at REAL NOT NULL)")
        }
        let pool = try SQLiteDatabase.open(path: (directory as NSString).appendingPathComponent("raw-commit-probe.sqlite"),
                                           settings: settings, migrator: migrator)
        let clock = ContinuousClock()
        let start = clock.now, cpuStart = ProcessCPU.seconds()
        var commits = 0
        while clock.now - start < duration {
            let payload = "order-\(commits)"
            // The services' own write path: a cached statement and transaction, bound with SQLite's C API.
            try pool.writeNow { db in try db.run("INSERT INTO probe (payload, at) VALUES (?, ?)", [payload, Date().timeIntervalSince1970]) }
            commits += 1
        }
        let elapsed = clock.now - start
        return Measurement(commitsPerSecond: Double(commits) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18),
                           cpuMicrosPerCommit: (ProcessCPU.seconds() - cpuStart) * 1e6 / Double(commits))
    }
}
