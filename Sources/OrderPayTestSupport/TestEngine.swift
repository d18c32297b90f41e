import Foundation
import Logging
import OrderPayCore
import OrderPayEmbedded
import OrderPayPostgres

/// Which engine this run's suite stores its data on. `ORDERPAY_TEST_ENGINE=postgres` runs the same
/// tests on PostgreSQL (scripts/test.sh does both), each system on a fresh database of the server
/// named by `ORDERPAY_TEST_DATABASE` (scripts/postgres-server.sh starts one).
public enum TestEngine {
    public static var isPostgres: Bool { ProcessInfo.processInfo.environment["ORDERPAY_TEST_ENGINE"] == "postgres" }

    /// nil on SQLite; a new empty database's URL on PostgreSQL.
    public static func freshDatabase() async throws -> String? {
        guard isPostgres else { return nil }
        guard let admin = ProcessInfo.processInfo.environment["ORDERPAY_TEST_DATABASE"], !admin.isEmpty else {
            throw AppError(.unavailable, "ORDERPAY_TEST_ENGINE=postgres needs ORDERPAY_TEST_DATABASE (eval \"$(scripts/postgres-server.sh start --fast)\")")
        }
        return try await PostgresDatabase.createScratchDatabase(adminURL: admin, prefix: "flowtest", logger: quietLogger)
    }

    /// Every store on this run's engine, for tests that drive one repository directly.
    public static func stores(directory: String) async throws -> ServiceStores {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let url = try await freshDatabase() { return try await ServiceStores.postgres(url, logger: quietLogger) }
        return try ServiceStores.sqlite(EmbeddedConfiguration(dataDirectory: directory))
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }
}
