import GRDB

/// Rebuilds tables declared `INTEGER PRIMARY KEY AUTOINCREMENT` as plain rowid tables, keeping
/// their rows, ids, indexes and triggers.
///
/// AUTOINCREMENT only promises that an id is never reused after its row is deleted, and it pays
/// for that with a write to `sqlite_sequence` in every insert: about 1.2 µs per row, some twenty
/// rows per order on the flow's hot path. Tables whose rows are never deleted get the same ids
/// without it (the next id is one above the largest, which is never removed). The outbox keeps
/// it: its copied rows are deleted, and its ids are the relay's cursor.
enum PlainRowIDs {
    static func migrate(_ db: Database, tables: [String]) throws {
        for table in tables { try rebuild(db, table) }
    }

    private static func rebuild(_ db: Database, _ table: String) throws {
        guard let create = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", arguments: [table]),
              create.contains("AUTOINCREMENT") else { return }
        // Indexes and triggers go with the table they are on; they are put back from their own SQL.
        let dependents = try String.fetchAll(db, sql: """
            SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name
            """, arguments: [table])
        let rebuilt = "\(table)_rebuilt"
        guard let range = create.range(of: "CREATE TABLE \(table)") else {
            throw DatabaseError(message: "unexpected definition of table \(table): \(create)")
        }
        let plain = create.replacingCharacters(in: range, with: "CREATE TABLE \(rebuilt)")
            .replacingOccurrences(of: " AUTOINCREMENT", with: "")
        try db.execute(sql: plain)
        try db.execute(sql: "INSERT INTO \(rebuilt) SELECT * FROM \(table)")
        try db.execute(sql: "DROP TABLE \(table)")
        try db.execute(sql: "ALTER TABLE \(rebuilt) RENAME TO \(table)")
        for statement in dependents { try db.execute(sql: statement) }
        try db.execute(sql: "DELETE FROM sqlite_sequence WHERE name = ?", arguments: [table])
    }
}
