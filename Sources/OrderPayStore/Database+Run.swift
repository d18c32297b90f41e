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
    /// saw.
    func run(_ sql: String, _ arguments: SQLArguments = []) throws {
        let statement = try cachedStatement(sql: sql)
        if Self.step(statement.sqliteStatement, arguments.values) { return }
        try statement.execute(arguments: StatementArguments(arguments.values))
    }

    func run(_ sql: String, arguments: SQLArguments) throws { try run(sql, arguments) }

    /// True when the statement ran to completion; false when SQLite refused a binding or a step.
    /// Either way the statement is left reset, ready for its next use.
    private static func step(_ handle: SQLiteStatement, _ values: [(any DatabaseValueConvertible)?]) -> Bool {
        sqlite3_reset(handle)
        guard values.count == Int(sqlite3_bind_parameter_count(handle)) else { return false }
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
            guard code == SQLITE_OK else { return false }
        }
        var code: Int32
        repeat { code = sqlite3_step(handle) } while code == SQLITE_ROW
        sqlite3_reset(handle)
        return code == SQLITE_DONE
    }
}

/// SQLite copies the value before the bind returns.
private let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
