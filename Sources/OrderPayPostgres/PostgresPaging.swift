import Foundation
import Logging
import OrderPayCore
import PostgresNIO

enum PostgresPaging {
    /// One page of `table` filtered by user and status, newest first, with the total count.
    static func page(_ connection: PostgresConnection, table: String, columns: String, userId: Int64?, status: String?,
                     page: PageRequest, logger: Logger) async throws -> (rows: [PostgresRandomAccessRow], total: Int) {
        // Filters are bound as nullable parameters, so one statement text serves every combination.
        let total: Int64 = try await connection.rows("""
            SELECT COUNT(*)::bigint AS total FROM \(unescaped: table)
            WHERE (\(userId)::bigint IS NULL OR user_id = \(userId)) AND (\(status)::text IS NULL OR status = \(status))
            """, logger: logger)[0].value("total")
        let rows = try await connection.rows("""
            SELECT \(unescaped: columns) FROM \(unescaped: table)
            WHERE (\(userId)::bigint IS NULL OR user_id = \(userId)) AND (\(status)::text IS NULL OR status = \(status))
            ORDER BY id DESC LIMIT \(page.size) OFFSET \(page.offset)
            """, logger: logger)
        return (rows, Int(total))
    }

    /// Rows per status. A plain GROUP BY rather than trigger-kept counters: counters would make
    /// every insert and status change of every instance queue on the same few counter rows.
    static func countByStatus<Status: RawRepresentable & Hashable>(_ database: PostgresDatabase, table: String,
                                                                   as _: Status.Type) async throws -> [Status: Int]
    where Status.RawValue == String {
        var counts: [Status: Int] = [:]
        for row in try await database.read("SELECT status, COUNT(*)::bigint AS n FROM \(unescaped: table) GROUP BY status") {
            if let status = Status(rawValue: try row.value("status")) { counts[status] = Int(try row.value("n", as: Int64.self)) }
        }
        return counts
    }
}
