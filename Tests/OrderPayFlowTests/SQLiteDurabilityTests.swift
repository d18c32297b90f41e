import Foundation
import GRDB
import OrderPayStore
import OrderPayTestSupport
import XCTest

/// Commits are synced to disk at the level the settings ask for, on the connection that writes.
/// (GRDB's pool sets its writer to NORMAL after `prepareDatabase` runs, which once overrode FULL.)
final class SQLiteDurabilityTests: XCTestCase {
    private func open(_ settings: SQLiteDatabase.Settings = .init()) throws -> DatabasePool {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY)") }
        let directory = try temporaryDirectory("durability")
        return try SQLiteDatabase.open(path: directory.appendingPathComponent("test.sqlite").path, settings: settings, migrator: migrator)
    }

    private func writerLevel(_ pool: DatabasePool) throws -> Int? {
        try pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
    }

    func testTheWriterSyncsEveryCommitByDefault() throws {
        XCTAssertEqual(try writerLevel(try open()), 2, "synchronous=FULL on the connection that commits")
    }

    func testTheWriterKeepsARelaxedLevelWhenAskedFor() throws {
        var settings = SQLiteDatabase.Settings()
        settings.synchronous = "NORMAL"
        XCTAssertEqual(try writerLevel(try open(settings)), 1)
    }
}
