import Foundation
import Logging
import NIOCore
import OrderPayCore
import PostgresNIO

/// One PostgreSQL server for every OrderPay store: a pooled client, started and stopped with the
/// process, whose errors become `AppError`s that say what to fix.
public final class PostgresDatabase: @unchecked Sendable {
    public let client: PostgresClient
    public let location: PostgresLocation
    let logger: Logger
    private let runTask: Task<Void, Never>

    /// Connects (checking the server answers within `timeout`) and starts the pool.
    public static func connect(_ url: String, logger: Logger, timeout: Duration = .seconds(5),
                               maximumConnections: Int = 20) async throws -> PostgresDatabase {
        let location = try PostgresLocation(url: url)
        // One plain connection first: the pool retries failed connects quietly, while this one
        // fails at once with the reason (refused, wrong password, no such database).
        do {
            let probe = PostgresConnection.Configuration(host: location.host, port: location.port, username: location.user,
                                                         password: location.password, database: location.database, tls: .disable)
            let quiet: Logger = { var quiet = logger; quiet.logLevel = .critical; return quiet }()
            let connection = try await withTimeout(timeout) {
                try await PostgresConnection.connect(configuration: probe, id: 0, logger: quiet)
            }
            try? await connection.close()
        } catch {
            throw AppError(.unavailable, "cannot connect to PostgreSQL at \(location.redacted): \(PostgresErrors.describe(error))")
        }
        return PostgresDatabase(location: location, logger: logger, maximumConnections: maximumConnections)
    }

    init(location: PostgresLocation, logger: Logger, maximumConnections: Int) {
        self.location = location
        self.logger = logger
        var configuration = PostgresClient.Configuration(host: location.host, port: location.port, username: location.user,
                                                         password: location.password, database: location.database,
                                                         tls: .disable)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(5)
        var background = logger
        background.logLevel = .critical   // the pool logs every reconnect attempt; our callers report failures once
        client = PostgresClient(configuration: configuration, backgroundLogger: background)
        let client = self.client
        runTask = Task { await client.run() }
    }

    /// Stops the pool; in-flight queries fail.
    public func close() { runTask.cancel() }

    /// Runs `body` in a transaction; errors are translated (unique violations → conflict,
    /// an unreachable server → unavailable).
    public func transaction<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as AppError {
            throw error
        } catch let error as PostgresTransactionError {
            throw PostgresErrors.translate(error.closureError ?? error.beginError ?? error.commitError ?? error)
        } catch {
            throw PostgresErrors.translate(error)
        }
    }

    /// Several reads on one pooled connection (autocommit).
    public func withConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch let error as AppError {
            throw error
        } catch {
            throw PostgresErrors.translate(error)
        }
    }

    /// One statement outside a transaction, its rows collected.
    public func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        do {
            return try await client.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
        } catch {
            throw PostgresErrors.translate(error)
        }
    }

    public func execute(_ query: PostgresQuery) async throws {
        _ = try await rows(query)
    }
}

extension PostgresConnection {
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRandomAccessRow] {
        try await self.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
    }
}

/// Where the server is, parsed from `postgres://user:pass@host:5432/db`.
public struct PostgresLocation: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String

    public init(url: String) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
              ["postgres", "postgresql"].contains(scheme.lowercased()) else {
            throw AppError(.validation, "'\(url)' is not a PostgreSQL URL (postgres://user:pass@host:5432/db)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw AppError(.validation, "the PostgreSQL URL has no host (postgres://user:pass@host:5432/db)")
        }
        guard let user = components.user, !user.isEmpty else {
            throw AppError(.validation, "the PostgreSQL URL has no user (postgres://user:pass@host:5432/db)")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.host = host
        self.port = components.port ?? 5432
        self.user = user.removingPercentEncoding ?? user
        self.password = (components.password?.removingPercentEncoding ?? components.password)
        self.database = database.isEmpty ? self.user : database
    }

    /// The URL without its password, for messages and logs.
    public var redacted: String { "postgres://\(user)@\(host):\(port)/\(database)" }
}

enum PostgresErrors {
    /// The server's own message where there is one (wrong password, missing database), the
    /// socket's otherwise (connection refused), never the client library's generic text.
    static func describe(_ error: Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            if let underlying = error.underlying {
                let text = "\(underlying)"
                for known in ["Connection refused", "No route to host", "Network is unreachable", "Connection timed out"] where text.contains(known) {
                    return known.lowercased()
                }
                return text
            }
            if error.code == .connectionError || error.code == .serverClosedConnection { return "connection failed" }
            return "\(error.code)"
        }
        if let error = error as? AppError { return error.message }
        return "\(error)"
    }

    /// Unique violations are conflicts; losing the server is unavailable; the rest stay as they are.
    static func translate(_ error: Error) -> Error {
        guard let psql = error as? PSQLError else { return error }
        if let state = psql.serverInfo?[.sqlState] {
            if state == "23505" { return AppError.conflict(psql.serverInfo?[.detail] ?? "duplicate value") }
            if state == "40001" || state == "40P01" { return AppError.conflict("concurrent update; try again") }
            return AppError(.unavailable, "PostgreSQL: \(describe(psql))")
        }
        return AppError(.unavailable, "PostgreSQL unreachable: \(describe(psql))")
    }
}

struct TimeoutError: Error, CustomStringConvertible {
    let after: Duration
    var description: String { "no answer within \(after)" }
}

/// Runs `body`, failing with `TimeoutError` if it takes longer than `timeout`.
func withTimeout<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw TimeoutError(after: timeout)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

extension PostgresDatabase {
    /// Creates an empty database named `<prefix>_<random>` on the server `adminURL` points at (its
    /// user needs CREATEDB) and returns its URL: a clean slate for a test or a benchmark run.
    public static func createScratchDatabase(adminURL: String, prefix: String, logger: Logger) async throws -> String {
        let admin = try await connect(adminURL, logger: logger, maximumConnections: 1)
        defer { admin.close() }
        let name = "\(prefix)_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased())"
        try await admin.execute("CREATE DATABASE \(unescaped: name)")
        var location = admin.location
        location.database = name
        let password = location.password.map { ":" + ($0.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? $0) } ?? ""
        return "postgres://\(location.user)\(password)@\(location.host):\(location.port)/\(name)"
    }
}
