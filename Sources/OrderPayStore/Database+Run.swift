import GRDB
import GRDBSQLite

/// The values of one `Database.run`, bound in order to the statement's `?` placeholders.
struct SQLArguments: ExpressibleByArrayLiteral {
    var values: [(any DatabaseValueConvertible)?]

    init(arrayLiteral elements: (any DatabaseValueConvertible)?...) { values = elements }
    init(_ values: [(any DatabaseValueConvertible)?]) { self.values = values }
}

extension Database {
    /// Executes a write through GRDB's statement cache, binding and stepping with SQLite's C API.
    ///
    /// The hot paths run a few INSERTs and UPDATEs thousands of times a second, and GRDB's general
    /// execution (building `StatementArguments`, checking the count, observation and cancellation
    /// bookkeeping this project does not use) cost about as much as SQLite's own work on them:
    /// 11 % of `bench flow`'s CPU. A statement SQLite refuses is run once more through GRDB,
    /// which then reports the failure its usual way (a `DatabaseError` with the SQL, the cache
    /// entry dropped): a failed statement changed nothing, so the second run sees what the first
    /// saw. Two failures are reported at once instead: a database locked for the whole busy
    /// timeout (a second run would wait it out again), and one that made SQLite roll back the
    /// whole transaction (an I/O error, an interrupt): run again, the statement would commit on
    /// its own, outside the transaction it belonged to.
    ///
    /// For INSERT, UPDATE, DELETE and the transaction statements (`Database+Transactions`): GRDB
    /// does not see these, so schema changes (its schema cache) and database observation (none
    /// here) must go through GRDB's `execute`.
    func run(_ sql: String, _ arguments: SQLArguments = []) throws {
        let statement = try cachedStatement(sql: sql)
        switch Self.step(statement.sqliteStatement, arguments.values, connection: sqliteConnection) {
        case .done:
            return
        case .final(let code, let message):
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
        case .refused:
            try statement.execute(arguments: StatementArguments(arguments.values))
        }
    }

    func run(_ sql: String, arguments: SQLArguments) throws { try run(sql, arguments) }

    private enum Outcome {
        case done
        /// Reported as it is, not run again.
        case final(code: Int32, message: String)
        /// Run again through GRDB, which reports the failure.
        case refused
    }

    /// Binds and steps to the end. Either way the statement is left reset, ready for its next use.
    private static func step(_ handle: SQLiteStatement, _ values: [(any DatabaseValueConvertible)?],
                             connection: SQLiteConnection?) -> Outcome {
        sqlite3_reset(handle)
        guard values.count == Int(sqlite3_bind_parameter_count(handle)) else { return .refused }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value?.databaseValue.storage ?? .null {
            case .null: code = sqlite3_bind_null(handle, index)
            case .int64(let number): code = sqlite3_bind_int64(handle, index, number)
            case .double(let number): code = sqlite3_bind_double(handle, index, number)
            // As GRDB binds text: up to the first NUL, copied by SQLite.
            case .string(let text): code = sqlite3_bind_text(handle, index, text, -1, transient)
            case .blob(let data):
                code = data.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), transient) }
            }
            guard code == SQLITE_OK else { return .refused }
        }
        let wasInTransaction = sqlite3_get_autocommit(connection) == 0
        var code: Int32
        repeat { code = sqlite3_step(handle) } while code == SQLITE_ROW
        if code == SQLITE_DONE {
            sqlite3_reset(handle)
            return .done
        }
        let message = String(cString: sqlite3_errmsg(connection))
        sqlite3_reset(handle)
        let primary = code & 0xFF
        let transactionEnded = wasInTransaction && sqlite3_get_autocommit(connection) != 0
        return primary == SQLITE_BUSY || primary == SQLITE_LOCKED || transactionEnded ? .final(code: code, message: message) : .refused
    }
}

/// SQLite copies the value before the bind returns.
private let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
