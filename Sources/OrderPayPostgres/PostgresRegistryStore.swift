import Foundation
import OrderPayCore
import OrderPayServices
import PostgresNIO

/// Registry leases in schema `registry`.
public final class PostgresRegistryStore: RegistryRepository, @unchecked Sendable {
    let database: PostgresDatabase

    public static func open(_ database: PostgresDatabase) async throws -> PostgresRegistryStore {
        var migrations = PostgresMigrations(schema: "registry")
        migrations.add("v1", ["""
            CREATE TABLE registry.instances (
                app TEXT NOT NULL, instance_id TEXT NOT NULL, host TEXT NOT NULL, port INTEGER NOT NULL, status TEXT NOT NULL,
                registered_at TIMESTAMPTZ NOT NULL, last_renewed_at TIMESTAMPTZ NOT NULL, lease_expires_at TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (app, instance_id))
            """])
        migrations.add("v2", ["ALTER TABLE registry.instances ADD COLUMN lease_duration DOUBLE PRECISION, ADD COLUMN descriptor TEXT"])
        // Listings called every OUT_OF_SERVICE instance overridden before: they stay so.
        migrations.add("v3", ["ALTER TABLE registry.instances ADD COLUMN overridden_status TEXT",
                              "UPDATE registry.instances SET overridden_status = 'OUT_OF_SERVICE' WHERE status = 'OUT_OF_SERVICE'"])
        try await migrations.apply(on: database)
        return PostgresRegistryStore(database: database)
    }

    init(database: PostgresDatabase) { self.database = database }

    @discardableResult
    public func upsert(_ i: ServiceInstance) async throws -> ServiceInstance {
        try Self.instance(try await database.rows("""
            INSERT INTO registry.instances (app, instance_id, host, port, status, registered_at, last_renewed_at, lease_expires_at,
                                            lease_duration, descriptor, overridden_status)
            VALUES (\(i.app), \(i.instanceId), \(i.host), \(i.port), \(i.status.rawValue), \(i.registeredAt), \(i.lastRenewedAt), \(i.leaseExpiresAt),
                    \(i.leaseDuration), \(i.descriptor), \(i.overriddenStatus?.rawValue))
            ON CONFLICT (app, instance_id) DO UPDATE SET host = excluded.host, port = excluded.port,
                status = CASE WHEN excluded.status IN ('UP', 'OUT_OF_SERVICE') THEN COALESCE(instances.overridden_status, excluded.status)
                              ELSE excluded.status END,
                last_renewed_at = excluded.last_renewed_at, lease_expires_at = excluded.lease_expires_at,
                lease_duration = excluded.lease_duration, descriptor = excluded.descriptor
            RETURNING *
            """)[0])
    }

    public func all() async throws -> [ServiceInstance] {
        try await database.read("SELECT * FROM registry.instances ORDER BY app, instance_id").map(Self.instance)
    }

    public func renew(app: String, instanceId: String, at now: Date, defaultLease: TimeInterval) async throws -> ServiceInstance? {
        try await database.rows("""
            UPDATE registry.instances SET last_renewed_at = \(now),
                lease_expires_at = \(now) + make_interval(secs => COALESCE(lease_duration, \(defaultLease)))
            WHERE app = \(app) AND instance_id = \(instanceId) RETURNING *
            """).first.map(Self.instance)
    }

    public func setStatus(app: String, instanceId: String, status: InstanceStatus, overriding: Bool) async throws -> ServiceInstance? {
        let override = overriding ? status.rawValue : nil
        return try await database.rows("""
            UPDATE registry.instances SET status = \(status.rawValue), overridden_status = \(override)
            WHERE app = \(app) AND instance_id = \(instanceId) RETURNING *
            """).first.map(Self.instance)
    }

    public func changeDescriptor(app: String, instanceId: String,
                                 _ change: @escaping @Sendable (ServiceInstance) throws -> String) async throws -> ServiceInstance? {
        let logger = database.logger
        return try await database.transaction { connection in
            // Locked until the update commits: a second change waits, then reads this one's
            // (READ COMMITTED whatever the server's default: under REPEATABLE READ the wait
            // would end in a serialization failure instead).
            try await connection.queryIfOpen("SET TRANSACTION ISOLATION LEVEL READ COMMITTED", logger: logger)
            guard let row = try await connection.rows(
                "SELECT * FROM registry.instances WHERE app = \(app) AND instance_id = \(instanceId) FOR UPDATE", logger: logger).first
            else { return nil }
            let descriptor = try change(try Self.instance(row))
            return try await connection.rows("""
                UPDATE registry.instances SET descriptor = \(descriptor) WHERE app = \(app) AND instance_id = \(instanceId) RETURNING *
                """, logger: logger).first.map(Self.instance)
        }
    }

    public func remove(app: String, instanceId: String) async throws -> Bool {
        !(try await database.rows("""
            DELETE FROM registry.instances WHERE app = \(app) AND instance_id = \(instanceId) RETURNING app
            """)).isEmpty
    }

    public func evict(expiredBefore now: Date) async throws -> [ServiceInstance] {
        try await database.rows("DELETE FROM registry.instances WHERE lease_expires_at < \(now) RETURNING *").map(Self.instance)
    }

    static func instance(_ row: PostgresRandomAccessRow) throws -> ServiceInstance {
        ServiceInstance(app: try row.value("app"), instanceId: try row.value("instance_id"), host: try row.value("host"),
                        port: try row.value("port"), status: try row.status("status", as: InstanceStatus.self, default: .down),
                        registeredAt: try row.value("registered_at"), lastRenewedAt: try row.value("last_renewed_at"),
                        leaseExpiresAt: try row.value("lease_expires_at"),
                        leaseDuration: try row.value("lease_duration"), descriptor: try row.value("descriptor"),
                        overriddenStatus: (try row.value("overridden_status") as String?).flatMap(InstanceStatus.init(rawValue:)))
    }
}
