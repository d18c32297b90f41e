import Foundation
import Logging
import NIOCore
import NIOPosix
import OrderPayCore
import PostgresNIO

/// One PostgreSQL server for every OrderPay store: a pooled client, started and stopped with the
/// process, whose errors become `AppError`s that say what to fix.
public final class PostgresDatabase: @unchecked Sendable {
    public let location: PostgresLocation
    let logger: Logger
    let maximumConnections: Int
    private let lock = NSLock()
    private var pool: (client: PostgresClient, run: Task<Void, Never>)?
    private var closed = false
    /// Set when a statement found the server refusing connections, cleared once it takes one
    /// again: meanwhile each statement checks the port first and fails at once, rather than
    /// waiting out the statement deadline for a connection the pool cannot make.
    private var refusing = false

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
            let connection = try await Deadline.run(timeout, onExpiry: {}) {
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
        self.maximumConnections = maximumConnections
    }

    /// The pooled client, started on first use and again after `resetPool`.
    public var client: PostgresClient {
        lock.withLock {
            if let pool { return pool.client }
            var configuration = PostgresClient.Configuration(host: location.host, port: location.port, username: location.user,
                                                             password: location.password, database: location.database, tls: .disable)
            configuration.options.maximumConnections = maximumConnections
            configuration.options.minimumConnections = 0
            configuration.options.connectTimeout = .seconds(5)
            // Idle connections are pinged often, so one the server dropped is noticed in the pool
            // rather than by the next caller (who would wait out the statement deadline).
            configuration.options.keepAliveBehavior = .init(frequency: .seconds(2))
            var background = logger
            background.logLevel = .critical   // the pool logs every reconnect attempt; our callers report failures once
            let client = PostgresClient(configuration: configuration, backgroundLogger: background)
            let run = Task { await client.run() }
            if closed { run.cancel() }
            pool = (client, run)
            return client
        }
    }

    /// Replaces a pool that stopped handing out working connections (every lease waiting while
    /// the server was restarted under it): waiters on the old one fail, the next caller gets a new one.
    func resetPool(ifStill client: PostgresClient) {
        lock.withLock {
            guard let pool, pool.client === client else { return }
            pool.run.cancel()
            self.pool = nil
        }
    }

    /// Stops the pool; in-flight queries fail.
    public func close() {
        lock.withLock {
            closed = true
            pool?.run.cancel()
        }
    }

    /// How long one transaction or statement may take before its connection is given up and the
    /// caller gets a 503: a server that stopped answering, or a statement left waiting by a
    /// connection that closed at the instant it was sent (see `queryIfOpen`).
    public var statementDeadline: Duration = .seconds(5)

    /// Runs `body` in a transaction; errors are translated (unique violations → conflict,
    /// an unreachable server → unavailable).
    public func transaction<T>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let logger = self.logger
        return try await withConnection(rerun: .ifUncommitted) { connection in
            // Not PostgresNIO's withTransaction: after a failed statement it sends ROLLBACK even on a
            // connection that has just closed (see `queryIfOpen`).
            do { try await connection.queryIfOpen("BEGIN", logger: logger) } catch { throw TransactionFailure.begin(error) }
            let value: T
            do {
                value = try await body(connection)
            } catch {
                if connection.isClosed || Self.isConnectionLoss(error) {
                    // No ROLLBACK on a dropped connection (the server rolled back); closed for
                    // good, so it never goes back to the pool mid-transaction.
                    let closing: EventLoopFuture<Void> = connection.close(); _ = closing
                } else {
                    _ = try? await connection.queryIfOpen("ROLLBACK", logger: logger)
                }
                throw TransactionFailure.body(error)
            }
            do { try await connection.queryIfOpen("COMMIT", logger: logger) } catch { throw TransactionFailure.commit(error) }
            return value
        }
    }

    /// Several statements on one pooled connection (autocommit), under the statement deadline;
    /// run again on another connection as `rerun` allows, up to once per connection the pool
    /// may hold (after a restart of the server each of them may be found dead only when used).
    public func withConnection<T>(rerun: Rerun = .ifNeverSent,
                                  _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await failFastWhileRefused()
        var reruns = 0, lostMidStatement = 0
        while true {
            let client = self.client
            do {
                return try await lease(client, body)
            } catch let error where reruns <= maximumConnections && mayRerun(after: error, rerun, on: client, lostMidStatement: lostMidStatement) {
                if !Self.neverSent(error) { lostMidStatement += 1 }
                // The pool hears of a closed connection on its own task: give it a moment, or
                // it may hand the same one over again.
                try? await Task.sleep(for: .milliseconds(min(50, 1 << reruns)))
                reruns += 1
            } catch is TimeoutError {
                // The pool retries refused connects quietly, so a stopped server also ends here:
                // say which it is.
                if await !location.acceptsConnections() {
                    lock.withLock { refusing = true }
                    throw refusedError
                }
                throw AppError(.unavailable, "PostgreSQL did not answer within \(statementDeadline); the connection was dropped", retryAfter: 1)
            } catch {
                throw PostgresErrors.translate(error)
            }
        }
    }

    private var refusedError: AppError {
        AppError(.unavailable, "PostgreSQL at \(location.redacted) refuses connections (is it running?)", retryAfter: 1)
    }

    /// While the server is known to refuse connections, one look at its port (a refused connect
    /// is answered at once; an unreachable host takes at most a second) instead of the statement
    /// deadline: during an outage every request got its 503 only after 5 s, and a request
    /// that reads twice (the account check, then the page) after 10, past many clients' patience.
    private func failFastWhileRefused() async throws {
        guard lock.withLock({ refusing }) else { return }
        if await location.acceptsConnections() {
            lock.withLock { refusing = false }
        } else {
            throw refusedError
        }
    }

    private func lease<T>(_ client: PostgresClient, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let leased = LeasedConnection()
        return try await Deadline.run(statementDeadline, onExpiry: { [weak self] in
            // A statement stuck on its connection: close that one. Still waiting for a connection:
            // a pool that hands out none (the server restarted under it) is replaced. Not both:
            // replacing the pool fails every statement in flight on it.
            if leased.everHeld { leased.closeIfHeld() } else { self?.resetPool(ifStill: client) }
        }) {
            do {
                return try await client.withConnection { connection in
                    leased.hold(connection)
                    defer { leased.release() }
                    return try await body(connection)
                }
            } catch where !leased.everHeld {
                // The pool's own refusal (shut down by a reset, or no connection for a minute).
                throw NoConnection(underlying: error)
            }
        }
    }

    /// Whether a failed body may run again on a fresh connection from `client`'s pool.
    private func mayRerun(after error: Error, _ rule: Rerun, on client: PostgresClient, lostMidStatement: Int) -> Bool {
        if error is NoConnection {
            // Nothing was sent; worth another try only if the pool was replaced meanwhile.
            return lock.withLock { !closed && pool?.client !== client }
        }
        // A reset or a close fails in-flight statements with errors that look like a dropped
        // connection, and those must not run again.
        guard isCurrent(client), Self.ruleAllowsRerun(after: error, rule) else { return false }
        // A statement that ended its own session (crashing the server, say) is not sent a fourth time.
        return Self.neverSent(error) || lostMidStatement < 3
    }

    /// Still the pool in use.
    private func isCurrent(_ client: PostgresClient) -> Bool {
        lock.withLock { !closed && pool?.client === client }
    }

    /// One statement outside a transaction, its rows collected; run again on another connection
    /// only if a dropped one never sent it (a write may have been applied).
    public func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        let logger = self.logger
        return try await withConnection { connection in try await connection.rows(query, logger: logger) }
    }

    /// A query that changes nothing (no side-effecting function either), its rows collected; run
    /// again on another connection whenever its connection dropped.
    public func read(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        let logger = self.logger
        return try await withConnection(rerun: .ifDropped) { connection in try await connection.rows(query, logger: logger) }
    }

    /// A statement whose rows are not needed, as `rows`.
    public func execute(_ query: PostgresQuery) async throws {
        _ = try await rows(query)
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
            // Not quoted: it may hold a password.
            let scheme = URLComponents(string: url)?.scheme.map { ", not \($0)://…" } ?? ""
            throw AppError(.validation, "the database URL is not a PostgreSQL URL (postgres://user:pass@host:5432/db\(scheme))")
        }
        guard let host = components.host, !host.isEmpty else {
            throw AppError(.validation, "the PostgreSQL URL has no host (postgres://user:pass@host:5432/db)")
        }
        guard let user = components.user, !user.isEmpty else {
            throw AppError(.validation, "the PostgreSQL URL has no user (postgres://user:pass@host:5432/db)")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw AppError(.validation, "the PostgreSQL URL's port \(port) is not 1–65535")
        }
        // Connections are never TLS: a URL asking for it (`sslmode=require`, as cloud providers
        // hand them out) was connected in plain text, and other parameters were dropped unseen.
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            if item.name == "sslmode", ["disable", "allow", "prefer"].contains(value) { continue }
            if item.name == "sslmode" {
                throw AppError(.validation, "the PostgreSQL URL asks for sslmode=\(value.echoed), but OrderPay connects without TLS "
                                            + "(sslmode=disable, allow and prefer are accepted); use a TLS-terminating proxy or a private network")
            }
            throw AppError(.validation, "the PostgreSQL URL's parameter '\(item.name.echoed)' is not supported (only sslmode=disable|allow|prefer is)")
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

    /// Whether the server's port takes a TCP connection within a second.
    func acceptsConnections() async -> Bool {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(1)).connect(host: host, port: port).get()
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }
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

    /// Unique violations are conflicts; losing the server is unavailable for now (`retryAfter`:
    /// worth trying again, see `EventDelivery`); the rest stay as they are.
    static func translate(_ error: Error) -> Error {
        if let failed = error as? TransactionFailure { return translate(failed.cause) }
        if error is ClosedBeforeSending { return AppError(.unavailable, "PostgreSQL unreachable: the connection closed", retryAfter: 1) }
        if let refused = error as? NoConnection {
            return AppError(.unavailable, "PostgreSQL unreachable: no connection (\(describe(refused.underlying)))", retryAfter: 1)
        }
        guard let psql = error as? PSQLError else { return error }
        if let state = psql.serverInfo?[.sqlState] {
            if state == "23505" { return AppError.conflict(psql.serverInfo?[.detail] ?? "duplicate value") }
            if state == "40001" || state == "40P01" { return AppError.conflict("concurrent update; try again") }
            return AppError(.unavailable, "PostgreSQL: \(describe(psql))")
        }
        return AppError(.unavailable, "PostgreSQL unreachable: \(describe(psql))", retryAfter: 1)
    }
}

/// Runs a body that must finish by a deadline. Past it the caller gets a timeout at once, whatever
/// the body is waiting on, and `onExpiry` runs (closing the connection the body holds, or resetting
/// the pool it waits on); the body is cancelled and left to end on its own.
enum Deadline {
    static func run<T>(_ limit: Duration, onExpiry: @escaping @Sendable () async -> Void,
                       _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let outcome = OnceResult<T>()
        let work = Task {
            do { outcome.finish(.success(try await body())) } catch { outcome.finish(.failure(error)) }
        }
        let watchdog = Task {
            try await Task.sleep(for: limit)
            if outcome.finish(.failure(TimeoutError(after: limit))) {
                work.cancel()
                await onExpiry()
            }
        }
        defer { watchdog.cancel() }
        return try await withTaskCancellationHandler {
            try await outcome.value()
        } onCancel: {
            work.cancel()
        }
    }
}

/// A result set once (the first of the body and the watchdog wins) and awaited once.
final class OnceResult<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, Error>?
    private var waiter: CheckedContinuation<T, Error>?

    /// True when this call set the result.
    @discardableResult
    func finish(_ value: Result<T, Error>) -> Bool {
        let (won, waiting): (Bool, CheckedContinuation<T, Error>?) = lock.withLock {
            guard result == nil else { return (false, nil) }
            result = value
            defer { waiter = nil }
            return (true, waiter)
        }
        waiting?.resume(with: value)
        return won
    }

    func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<T, Error>? = lock.withLock {
                if let result { return result }
                waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}

/// The connection a deadline-bound call holds, if it got one yet.
final class LeasedConnection: @unchecked Sendable {
    private let lock = NSLock()
    private var held: PostgresConnection?
    private var heldOnce = false

    func hold(_ connection: PostgresConnection) { lock.withLock { held = connection; heldOnce = true } }
    func release() { lock.withLock { held = nil } }
    var everHeld: Bool { lock.withLock { heldOnce } }

    /// Closes the held connection, if still held. Under the lock: once the call has handed it
    /// back to the pool, another caller's statement on it must not be cut off.
    func closeIfHeld() {
        lock.withLock {
            if let held { let closing: EventLoopFuture<Void> = held.close(); _ = closing }
        }
    }
}

struct TimeoutError: Error, CustomStringConvertible {
    let after: Duration
    var description: String { "no answer within \(after)" }
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
