import Foundation
import GRDB

/// The baseline for `orderpay bench flow`: single-row INSERT + COMMIT on its own SQLite file in
/// the same directory, with the same settings as the services' databases.
public enum RawCommitProbe {
    public static func commitsPerSecond(directory: String, settings: SQLiteDatabase.Settings, duration: Duration = .seconds(2)) async throws -> Double {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: "CREATE TABLE probe (id INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT NOT NULL, at REAL NOT NULL)")
        }
        let pool = try SQLiteDatabase.open(path: (directory as NSString).appendingPathComponent("raw-commit-probe.sqlite"),
                                           settings: settings, migrator: migrator)
        let clock = ContinuousClock()
        let start = clock.now
        var commits = 0
        while clock.now - start < duration {
            let payload = "order-\(commits)"
            try pool.writeNow { db in
                try db.execute(sql: "INSERT INTO probe (payload, at) VALUES (?, ?)", arguments: [payload, Date().timeIntervalSince1970])
            }
            commits += 1
        }
        let elapsed = clock.now - start
        return Double(commits) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}
