import GRDB
import OrderPayCore
import GRDBSQLite

/// Transactions and savepoints on cached statements.
///
/// GRDB's `read`, `write` and `inSavepoint` compile their BEGIN, COMMIT, SAVEPOINT and RELEASE
/// afresh every time: with a read or a write transaction per event batch and a savepoint per
/// grouped order, that parsing was 7 % of `bench flow`'s CPU. These run the same statements
/// through `run` (cached, bound with SQLite's C API), and always leave the connection out of the
/// transaction they opened, as GRDB requires at the end of an access.
extension Database {
    /// BEGIN (IMMEDIATE for writes, DEFERRED for reads) … COMMIT; ROLLBACK when `body` throws
    /// or the commit fails.
    func transaction<T>(immediate: Bool, _ body: () throws -> T) throws -> T {
        try run(immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED")
        let value: T
        do {
            value = try body()
            guard isInTransaction else { throw Self.rolledBack }
            try run("COMMIT")
        } catch {
            rollBackIfOpen()
            throw error
        }
        return value
    }

    /// A savepoint inside the current transaction: on a throw, `body`'s writes are undone and the
    /// transaction goes on. When they cannot be undone alone, the whole transaction is rolled
    /// back, so that none of them commits with the rest.
    func savepoint<T>(_ body: () throws -> T) throws -> T {
        // Outside a transaction (an earlier error made SQLite roll it back), SAVEPOINT would open
        // one of its own and RELEASE commit it.
        guard isInTransaction else { throw Self.rolledBack }
        try run("SAVEPOINT job")
        do {
            let value = try body()
            try run("RELEASE job")
            return value
        } catch {
            if (try? run("ROLLBACK TO job")) != nil {
                try? run("RELEASE job")
            } else {
                rollBackIfOpen()
            }
            throw error
        }
    }

    private var isInTransaction: Bool { sqlite3_get_autocommit(sqliteConnection) == 0 }

    private static let rolledBack = DatabaseError(resultCode: .SQLITE_ABORT,
                                                  message: "the transaction was rolled back by an earlier error")

    /// SQLite ends a transaction by itself on some errors (a full disk, an I/O error); a ROLLBACK
    /// then would fail, so it is only sent while one is open.
    private func rollBackIfOpen() {
        guard isInTransaction else { return }
        if (try? run("ROLLBACK")) == nil {
            // Leaving it open would break the next access on this connection: GRDB's own try.
            try? execute(sql: "ROLLBACK")
        }
    }
}

extension DatabasePool {
    /// Runs a short transaction on the calling thread. GRDB's async `write` hops to its writer
    /// queue and back for every transaction; in profiles those two context switches cost more
    /// than the SQL. But the caller also waits for the commit's sync to disk (and for the one
    /// ahead of it): the stores write through a `GroupCommitter` instead, which keeps Swift's few
    /// cooperative threads free meanwhile; this is for the registry (whose commits are not flushed)
    /// and the baseline probe.
    func writeNow<T>(_ updates: (Database) throws -> T) throws -> T {
        try writeWithoutTransaction { db in try db.transaction(immediate: true) { try updates(db) } }
    }

    /// A read on the calling thread, in a snapshot, for the same reason as `writeNow`.
    func readNow<T>(_ value: (Database) throws -> T) throws -> T {
        try unsafeRead { db in try db.transaction(immediate: false) { try value(db) } }
    }

    /// A read that may take long (a page of a list, `OFFSET` deep in a large table) on one of
    /// Dispatch's threads, awaited: the calling thread, an HTTP service's event loop, goes on
    /// serving its other connections meanwhile. A point lookup uses `readNow`: the hop there and
    /// back would cost more than the read.
    ///
    /// Not GRDB's async `read`: it gives its connection back only once the awaiting task has
    /// resumed, on one of Swift's cooperative threads (an event loop in `serve`), while `readNow`
    /// holds such a thread waiting for a connection. Under load every cooperative thread waited
    /// for a connection held by a task waiting for one of them: the process stopped for good.
    /// Here the connection is taken and given back on the Dispatch thread, whatever the task does.
    func readAwaited<T: Sendable>(_ value: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await Offload.run { try self.readNow(value) }
    }
}
