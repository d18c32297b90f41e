import Foundation
import GRDB
@testable import OrderPayStore
import OrderPayCore
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

/// Processes starting together on a new data dir each open and migrate the same files.
final class ConcurrentFirstOpenTests: XCTestCase {
    func testOpeningANewDatabaseFromManyConnectionsAtOnceMigratesItOnce() throws {
        let path = try temporaryDirectory("first-open").appendingPathComponent("test.sqlite").path
        var migrator = DatabaseMigrator()
        for version in 1...5 {
            migrator.registerMigration("v\(version)") { db in try db.execute(sql: "CREATE TABLE t\(version) (id INTEGER PRIMARY KEY)") }
        }
        let failures = NSLock()
        var errors: [String] = []
        var pools: [DatabasePool] = []
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            do {
                let pool = try SQLiteDatabase.open(path: path, migrator: migrator)
                failures.withLock { pools.append(pool) }
            } catch {
                failures.withLock { errors.append("\(error)") }
            }
        }
        XCTAssertEqual(errors, [])
        XCTAssertEqual(pools.count, 8)
        let applied = try pools.first.map { pool in try pool.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") } }
        XCTAssertEqual(applied, ["v1", "v2", "v3", "v4", "v5"])
    }

    func testAnOpenWaitsForTheDirectoryOnlyAsLongAsTheBusyTimeout() throws {
        let directory = try temporaryDirectory("first-open-held")
        let held = try DirectoryLock(directory: directory.path, timeout: 1)
        defer { held.release() }
        var settings = SQLiteDatabase.Settings()
        settings.busyTimeout = 0.2
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY)") }
        XCTAssertThrowsError(try SQLiteDatabase.open(path: directory.appendingPathComponent("test.sqlite").path, settings: settings, migrator: migrator)) { error in
            XCTAssertEqual((error as? AppError)?.kind, .unavailable)
            XCTAssertTrue("\(error)".contains("stayed locked"), "\(error)")
        }
    }
}
