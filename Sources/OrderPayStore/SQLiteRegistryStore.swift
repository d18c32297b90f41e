import Foundation
import GRDB
import OrderPayCore
import OrderPayServices

/// Registry leases in the data dir, so every process on it (console, CLI, servers) sees the others.
public final class SQLiteRegistryStore: RegistryRepository, @unchecked Sendable {
    let pool: DatabasePool

    public init(path: String, settings: SQLiteDatabase.Settings = .init()) throws {
        var relaxed = settings
        relaxed.synchronous = "NORMAL"   // leases are renewed every few seconds: losing one to a power cut is harmless
        pool = try SQLiteDatabase.open(path: path, settings: relaxed, migrator: Self.migrator)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE instances (
                    app TEXT NOT NULL,
                    instance_id TEXT NOT NULL,
                    host TEXT NOT NULL,
                    port INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    registered_at REAL NOT NULL,
                    last_renewed_at REAL NOT NULL,
                    lease_expires_at REAL NOT NULL,
                    PRIMARY KEY (app, instance_id)
                );
                """)
        }
        migrator.registerMigration("v2: an instance's own lease and description") { db in
            try db.execute(sql: "ALTER TABLE instances ADD COLUMN lease_duration REAL; ALTER TABLE instances ADD COLUMN descriptor TEXT;")
        }
        migrator.registerMigration("v3: an operator's status override") { db in
            // Listings called every OUT_OF_SERVICE instance overridden before: they stay so.
            try db.execute(sql: """
                ALTER TABLE instances ADD COLUMN overridden_status TEXT;
                UPDATE instances SET overridden_status = 'OUT_OF_SERVICE' WHERE status = 'OUT_OF_SERVICE';
                """)
        }
        return migrator
    }

    @discardableResult
    public func upsert(_ i: ServiceInstance) async throws -> ServiceInstance {
        try pool.writeNow { db in
            try db.run("""
                INSERT INTO instances (app, instance_id, host, port, status, registered_at, last_renewed_at, lease_expires_at,
                                       lease_duration, descriptor, overridden_status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (app, instance_id) DO UPDATE SET host = excluded.host, port = excluded.port,
                    status = CASE WHEN excluded.status IN ('UP', 'OUT_OF_SERVICE') THEN COALESCE(overridden_status, excluded.status)
                                  ELSE excluded.status END,
                    last_renewed_at = excluded.last_renewed_at, lease_expires_at = excluded.lease_expires_at,
                    lease_duration = excluded.lease_duration, descriptor = excluded.descriptor
                """, [i.app, i.instanceId, i.host, i.port, i.status.rawValue, i.registeredAt.storageValue,
                                 i.lastRenewedAt.storageValue, i.leaseExpiresAt.storageValue, i.leaseDuration, i.descriptor,
                                 i.overriddenStatus?.rawValue])
            return try db.row("SELECT * FROM instances WHERE app = ? AND instance_id = ?", [i.app, i.instanceId]).map(Self.instance)!
        }
    }

    public func all() async throws -> [ServiceInstance] {
        try pool.readNow { db in try db.rows("SELECT * FROM instances ORDER BY app, instance_id").map(Self.instance) }
    }

    public func renew(app: String, instanceId: String, at now: Date, defaultLease: TimeInterval) async throws -> ServiceInstance? {
        try pool.writeNow { db in
            try db.run("""
                UPDATE instances SET last_renewed_at = ?, lease_expires_at = ? + COALESCE(lease_duration, ?)
                WHERE app = ? AND instance_id = ?
                """, [now.storageValue, now.storageValue, defaultLease, app, instanceId])
            return try db.row("SELECT * FROM instances WHERE app = ? AND instance_id = ?", [app, instanceId]).map(Self.instance)
        }
    }

    public func setStatus(app: String, instanceId: String, status: InstanceStatus, overriding: Bool) async throws -> ServiceInstance? {
        try pool.writeNow { db in
            try db.run("UPDATE instances SET status = ?, overridden_status = ? WHERE app = ? AND instance_id = ?",
                       [status.rawValue, overriding ? status.rawValue : nil, app, instanceId])
            return try db.row("SELECT * FROM instances WHERE app = ? AND instance_id = ?", [app, instanceId]).map(Self.instance)
        }
    }

    public func changeDescriptor(app: String, instanceId: String,
                                 _ change: @escaping @Sendable (ServiceInstance) throws -> String) async throws -> ServiceInstance? {
        try pool.writeNow { db in
            let key: StatementArguments = [app, instanceId]
            guard let current = try db.row("SELECT * FROM instances WHERE app = ? AND instance_id = ?", key).map(Self.instance) else {
                return nil
            }
            try db.run("UPDATE instances SET descriptor = ? WHERE app = ? AND instance_id = ?",
                       [try change(current), app, instanceId])
            return try db.row("SELECT * FROM instances WHERE app = ? AND instance_id = ?", key).map(Self.instance)
        }
    }

    public func remove(app: String, instanceId: String) async throws -> Bool {
        try pool.writeNow { db in
            try db.run("DELETE FROM instances WHERE app = ? AND instance_id = ?", [app, instanceId])
            return db.changesCount == 1
        }
    }

    public func evict(expiredBefore now: Date) async throws -> [ServiceInstance] {
        try pool.writeNow { db in
            let expired = try db.rows("SELECT * FROM instances WHERE lease_expires_at < ?", [now.storageValue]).map(Self.instance)
            try db.run("DELETE FROM instances WHERE lease_expires_at < ?", [now.storageValue])
            return expired
        }
    }

    static func instance(_ row: Row) -> ServiceInstance {
        ServiceInstance(app: row["app"], instanceId: row["instance_id"], host: row["host"], port: row["port"],
                        status: InstanceStatus(rawValue: row["status"]) ?? .down, registeredAt: row.date("registered_at"),
                        lastRenewedAt: row.date("last_renewed_at"), leaseExpiresAt: row.date("lease_expires_at"),
                        leaseDuration: row["lease_duration"], descriptor: row["descriptor"],
                        overriddenStatus: (row["overridden_status"] as String?).flatMap(InstanceStatus.init(rawValue:)))
    }
}
