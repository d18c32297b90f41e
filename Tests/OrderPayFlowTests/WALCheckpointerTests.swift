import Foundation
import GRDB
@testable import OrderPayStore
import OrderPayTestSupport
import XCTest

/// Commits leave the write-ahead log to the background checkpointer: the log's pages reach the
/// database file although no commit pushed the log to SQLite's own (backstop) limit.
final class WALCheckpointerTests: XCTestCase {
    func testCommittedPagesReachTheDatabaseFileWithoutACommitCheckpointing() throws {
        let directory = try temporaryDirectory("checkpointer")
        let path = directory.appendingPathComponent("test.sqlite").path
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)") }
        let pool = try SQLiteDatabase.open(path: path, migrator: migrator)

        let payload = String(repeating: "x", count: 2000)
        for _ in 0..<1000 {   // about 1,000 pages: far below the backstop
            try pool.write { db in try db.execute(sql: "INSERT INTO t (payload) VALUES (?)", arguments: [payload]) }
        }
        let backstop = try pool.read { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") }
        XCTAssertEqual(backstop, WALCheckpointer.backstopPages)

        let deadline = Date().addingTimeInterval(20)
        var size = 0
        repeat {
            size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            if size > 1_000_000 { break }
            Thread.sleep(forTimeInterval: 0.05)
        } while Date() < deadline
        XCTAssertGreaterThan(size, 1_000_000, "the rows' pages should have been copied into the database file")
        XCTAssertEqual(try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") }, 1000)
    }
}
