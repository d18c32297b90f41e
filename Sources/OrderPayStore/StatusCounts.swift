import GRDB

/// Rows per status, kept by triggers in the same transaction as every insert, status change and
/// delete, so dashboards and page totals read a handful of rows instead of counting millions.
enum StatusCounts {
    static func migrate(_ db: Database, table: String) throws {
        let counts = "\(table)_status_counts"
        try db.execute(sql: """
            CREATE TABLE \(counts) (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
            INSERT INTO \(counts) (status, n) SELECT status, COUNT(*) FROM \(table) GROUP BY status;
            CREATE TRIGGER \(table)_counted_insert AFTER INSERT ON \(table) BEGIN
                INSERT INTO \(counts) (status, n) VALUES (NEW.status, 1) ON CONFLICT (status) DO UPDATE SET n = n + 1;
            END;
            CREATE TRIGGER \(table)_counted_update AFTER UPDATE OF status ON \(table) WHEN OLD.status <> NEW.status BEGIN
                UPDATE \(counts) SET n = n - 1 WHERE status = OLD.status;
                INSERT INTO \(counts) (status, n) VALUES (NEW.status, 1) ON CONFLICT (status) DO UPDATE SET n = n + 1;
            END;
            CREATE TRIGGER \(table)_counted_delete AFTER DELETE ON \(table) BEGIN
                UPDATE \(counts) SET n = n - 1 WHERE status = OLD.status;
            END;
            """)
    }
}
