import Foundation
import Logging
import PostgresNIO

/// Versioned migrations per schema (one schema per service). Each run takes a transaction-level
/// advisory lock for its schema first, so instances starting at the same moment apply every
/// migration exactly once: the second waits, then finds nothing left to do.
public struct PostgresMigrations: Sendable {
    public struct Migration: Sendable {
        let version: String
        let statements: [String]
    }

    let schema: String
    var migrations: [Migration] = []

    init(schema: String) { self.schema = schema }

    /// Statements run one by one (the extended protocol takes one statement per query), in order.
    mutating func add(_ version: String, _ statements: [String]) {
        migrations.append(Migration(version: version, statements: statements))
    }

    func apply(on database: PostgresDatabase) async throws {
        let schema = self.schema, migrations = self.migrations, logger = database.logger
        try await database.transaction { connection in
            try await connection.queryIfOpen("SELECT pg_advisory_xact_lock(hashtext(\("orderpay-migrate-" + schema)))", logger: logger)
            try await connection.queryIfOpen("CREATE SCHEMA IF NOT EXISTS \(unescaped: schema)", logger: logger)
            try await connection.queryIfOpen("""
                CREATE TABLE IF NOT EXISTS \(unescaped: schema).schema_migrations (
                    version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """, logger: logger)
            let applied = Set(try await connection.rows("SELECT version FROM \(unescaped: schema).schema_migrations", logger: logger)
                .map { try $0.value("version", as: String.self) })
            for migration in migrations where !applied.contains(migration.version) {
                for statement in migration.statements {
                    try await connection.queryIfOpen(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.queryIfOpen("INSERT INTO \(unescaped: schema).schema_migrations (version) VALUES (\(migration.version))",
                                           logger: logger)
            }
        }
    }
}
