import Foundation
import GRDB
import GRDBSQLite
@testable import OrderPayStore
import OrderPayTestSupport
import XCTest

/// Some errors (an I/O error, an interrupt) make SQLite roll back the whole transaction, not just
/// the statement. In a group commit, the writes queued behind the failing one must then neither
/// commit on their own nor be reported as failed while they committed: every write reported
/// committed has its row, every write reported failed has none.
final class GroupCommitAbortTests: XCTestCase {
    func testAWriteThatEndsTheTransactionTakesNothingElseAlongSilently() async throws {
        let directory = try temporaryDirectory("group-abort")
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in try db.execute(sql: "CREATE TABLE t (n INTEGER NOT NULL)") }
        let pool = try SQLiteDatabase.open(path: directory.appendingPathComponent("t.sqlite").path, migrator: migrator)
        // Called in the middle of a statement, this makes SQLite abandon it and the transaction.
        try await pool.writeWithoutTransaction { db in
            let connection = Int(bitPattern: db.sqliteConnection)   // a plain number: Sendable
            db.add(function: DatabaseFunction("interrupt_now", argumentCount: 0, pure: false) { _ in
                sqlite3_interrupt(OpaquePointer(bitPattern: connection))
                return 1
            })
        }
        let committer = GroupCommitter(pool: pool)

        let interrupted = NSLock()
        nonisolated(unsafe) var interruptedError: (any Error)?
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            // The first write holds the writer while the others queue, so they share the next transaction.
            group.addTask { (0, (try? await committer.write { (db: Database) -> Void in
                Thread.sleep(forTimeInterval: 0.3)
                try db.run("INSERT INTO t VALUES (0)")
            }) != nil) }
            try? await Task.sleep(for: .milliseconds(50))
            for n in 1...20 {
                group.addTask {
                    do {
                        try await committer.write { (db: Database) -> Void in
                            if n == 7 {
                                try db.run("INSERT INTO t SELECT interrupt_now() FROM (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3)")
                            } else {
                                try db.run("INSERT INTO t VALUES (?)", [n])
                            }
                        }
                        return (n, true)
                    } catch {
                        if n == 7 { interrupted.withLock { interruptedError = error } }
                        return (n, false)
                    }
                }
            }
            return await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }

        let stored = Set(try await pool.read { db in try Int.fetchAll(db, sql: "SELECT n FROM t") })
        XCTAssertEqual(outcomes[7], false, "the interrupted write was reported committed")
        let cause = interrupted.withLock { interruptedError }
        XCTAssertEqual((cause as? DatabaseError)?.resultCode, .SQLITE_INTERRUPT, "the interrupted write lost its own error: \(String(describing: cause))")
        for (n, committed) in outcomes.sorted(by: { $0.key < $1.key }) where n != 7 {
            XCTAssertEqual(stored.contains(n), committed, "write \(n) reported \(committed ? "committed" : "failed"); rows: \(stored.sorted())")
        }
        XCTAssertEqual(outcomes[0], true)
        XCTAssertTrue(outcomes.values.contains(false) && outcomes.filter { $0.key != 7 && !$0.value }.count > 0,
                      "the writes grouped with the interrupted one failed with it: \(outcomes.sorted { $0.key < $1.key })")

        // The store goes on working.
        try await committer.write { (db: Database) -> Void in try db.run("INSERT INTO t VALUES (100)") }
        let after = try await pool.read { db in try Int.fetchAll(db, sql: "SELECT n FROM t WHERE n = 100") }
        XCTAssertEqual(after, [100])
    }
}
