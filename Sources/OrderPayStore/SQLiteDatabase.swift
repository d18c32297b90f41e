import CSQLiteConfig
import Foundation
import GRDB
import OrderPayCore

/// Opens one service's SQLite file the way every OrderPay store wants it: WAL, durable commits,
/// checkpoints off the commit path (`WALCheckpointer`), waiting (not failing) when another
/// process holds the write lock, and migrations applied.
public enum SQLiteDatabase {
    public struct Settings: Sendable {
        /// FULL makes every commit durable across power loss: the right default for money.
        public var synchronous: String = "FULL"
        public var busyTimeout: TimeInterval = 10
        public init() {}
    }

    /// Process-wide SQLite settings, applied once before the first database opens.
    private static let configured: Void = {
        // Threads on different databases (the services' writers, the relays, the readers) queued
        // on the allocator's statistics mutex: a quarter of `bench flow`'s context switches.
        _ = orderpay_sqlite_disable_memory_statistics()
    }()

    public static func open(path: String, settings: Settings = Settings(), migrator: DatabaseMigrator) throws -> DatabasePool {
        _ = configured
        var config = Configuration()
        config.busyMode = .timeout(settings.busyTimeout)
        let synchronous = settings.synchronous
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(WALCheckpointer.backstopPages)")
        }
        do {
            // Processes starting together on a new data dir would each see a migration as not yet
            // applied and run it: one at a time per directory instead.
            let lock = try DirectoryLock(directory: (path as NSString).deletingLastPathComponent, timeout: settings.busyTimeout)
            defer { lock.release() }
            let pool = try DatabasePool(path: path, configuration: config)
            // After `prepareDatabase`, DatabasePool switches its writer to WAL and sets it to
            // synchronous=NORMAL: set here, the level holds. (Set in `prepareDatabase`, it was
            // silently overridden, and commits were not synced to disk.)
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
            try migrator.migrate(pool)
            try WALCheckpointer.shared.watch(pool, path: path, synchronous: synchronous, busyTimeout: settings.busyTimeout)
            return pool
        } catch let error as DatabaseError {
            throw AppError(.unavailable, "cannot open database \(path): \(error.message ?? error.description)")
        }
    }
}

extension SQLiteDatabase {
    /// A SQLite error no store translated (a read-only data dir, a full disk), as one line.
    public static func failure(_ error: any Error) -> AppError? {
        guard let error = error as? DatabaseError else { return nil }
        // Busy past the busy timeout: another process holds the file for now, worth trying again.
        let busy = error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
        return AppError(.unavailable, "storage error: \(error.message ?? "SQLite error \(error.resultCode.rawValue)")", retryAfter: busy ? 1 : nil)
    }
}

/// GRDB's errors that no store translated, as the front ends show them (see `failure`).
extension DatabaseError: AppErrorConvertible {
    public var appError: AppError { SQLiteDatabase.failure(self) ?? AppError(.unavailable, "storage error: \(description)") }
}

extension Row {
    func date(_ column: String) -> Date { Date(timeIntervalSince1970: self[column] as Double) }
    func optionalDate(_ column: String) -> Date? { (self[column] as Double?).map(Date.init(timeIntervalSince1970:)) }
    func money(_ column: String) -> Money { Money(minorUnits: self[column]) }
}

extension Date {
    /// Timestamps are stored as Unix seconds (REAL): sortable, compact, and exact to the microsecond.
    var storageValue: Double { timeIntervalSince1970 }
}

/// Maps GRDB's constraint failures to the domain's conflict error; everything else passes through.
func translatingConstraintErrors<T>(_ conflictMessage: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
        throw AppError.conflict(conflictMessage)
    }
}

extension Database {
    // Reads go through GRDB's statement cache: the hot paths run the same few statements
    // thousands of times, and re-parsing them showed up in profiles. Writes: `run`.
    func rows(_ sql: String, _ arguments: StatementArguments = []) throws -> [Row] {
        try Row.fetchAll(cachedStatement(sql: sql), arguments: arguments)
    }

    func row(_ sql: String, _ arguments: StatementArguments = []) throws -> Row? {
        try Row.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }

    /// Rows decoded as they are stepped through. A fetched (copied) row finds a column by
    /// lowercasing every column name on each lookup, quadratic in the columns: on the hot paths
    /// that lowercasing alone was 2.5 % of `bench flow`. The cursor's row keeps a name index.
    /// `decode` must not keep the row: it is only valid during the call.
    func rows<T>(_ sql: String, _ arguments: StatementArguments = [], as decode: (Row) throws -> T) throws -> [T] {
        let cursor = try Row.fetchCursor(cachedStatement(sql: sql), arguments: arguments)
        var values: [T] = []
        while let row = try cursor.next() { values.append(try decode(row)) }
        return values
    }

    func row<T>(_ sql: String, _ arguments: StatementArguments = [], as decode: (Row) throws -> T) throws -> T? {
        let cursor = try Row.fetchCursor(cachedStatement(sql: sql), arguments: arguments)
        return try cursor.next().map(decode)
    }

    func rows(_ sql: String, arguments: StatementArguments) throws -> [Row] { try rows(sql, arguments) }
    func row(_ sql: String, arguments: StatementArguments) throws -> Row? { try row(sql, arguments) }
}

extension Database {
    /// Rows per status of a table that keeps `StatusCounts`: one small read, however many rows.
    func countByStatus<Status: RawRepresentable & Hashable>(in table: String, as _: Status.Type) throws -> [Status: Int]
    where Status.RawValue == String {
        var counts: [Status: Int] = [:]
        for row in try rows("SELECT status, n FROM \(table)_status_counts WHERE n > 0") {
            if let status = Status(rawValue: row["status"]) { counts[status] = row["n"] }
        }
        return counts
    }

    /// One page of `table` filtered by user and status, newest first, with the total count.
    func page(of table: String, userId: Int64?, status: String?, page: PageRequest) throws -> (rows: [Row], total: Int) {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let userId { conditions.append("user_id = ?"); arguments += [userId] }
        if let status { conditions.append("status = ?"); arguments += [status] }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        // Without a user filter the total comes from the status counts (O(1)); a user's rows are few
        // and counted through the (user_id, id) index.
        let countSQL = userId != nil ? "SELECT COUNT(*) FROM \(table) \(whereClause)"
            : "SELECT COALESCE(SUM(n), 0) FROM \(table)_status_counts \(status == nil ? "" : "WHERE status = ?")"
        let total = try Int.fetchOne(cachedStatement(sql: countSQL), arguments: arguments) ?? 0
        let rows = try self.rows("SELECT * FROM \(table) \(whereClause) ORDER BY id DESC LIMIT ? OFFSET ?",
                                 arguments + [page.size, page.offset])
        return (rows, total)
    }
}
