import PostgresNIO

/// When a statement that met a dropped connection runs again on another one, so that a server
/// restart, a failover or `pg_terminate_backend` costs callers nothing where it safely can.
extension PostgresDatabase {
    /// When a body that met a dropped connection may run again on another one. A connection the
    /// server ended while it sat in the pool (a restart, a failover, `pg_terminate_backend`) is
    /// only found out by the next caller, who would otherwise get a 503 for a server that is up.
    public enum Rerun: Sendable {
        /// Only if the statement provably never reached the server: autocommit writes, which
        /// may have been applied when the connection dropped under them.
        case ifNeverSent
        /// Whenever the connection dropped: reads, which change nothing when run twice.
        case ifDropped
        /// Whenever the transaction cannot have committed: the connection dropped before COMMIT.
        case ifUncommitted
    }

    static func ruleAllowsRerun(after error: Error, _ rule: Rerun) -> Bool {
        // The statement never left: whatever ran before it on that connection either was a read,
        // or is in a transaction the server rolled back, or (the only multi-statement body outside
        // a transaction, the raw-commit benchmark) may start over.
        if error is ClosedBeforeSending { return true }
        if let failed = error as? TransactionFailure {
            // A failed BEGIN or body means no COMMIT was sent, and the server rolls back a
            // transaction whose connection ends; a failed COMMIT may have committed.
            switch failed {
            case .begin(let cause), .body(let cause): return rule == .ifUncommitted && isConnectionLoss(cause)
            case .commit(let cause): return rule == .ifUncommitted && cause is ClosedBeforeSending
            }
        }
        // Not PSQLError.clientClosedConnection for writes: besides a statement handed to a
        // connection already closing, it is what one in flight gets when its connection is closed
        // under it, and that one may have been applied.
        return rule != .ifNeverSent && isConnectionLoss(error)
    }

    /// Failed before anything reached the server.
    static func neverSent(_ error: Error) -> Bool {
        switch error {
        case is ClosedBeforeSending, is NoConnection: return true
        case TransactionFailure.begin(let cause), TransactionFailure.commit(let cause): return cause is ClosedBeforeSending
        default: return false
        }
    }

    static func isConnectionLoss(_ error: Error) -> Bool {
        if error is ClosedBeforeSending { return true }
        guard let psql = error as? PSQLError else { return false }
        switch psql.code {
        case .clientClosedConnection, .serverClosedConnection, .connectionError: return true
        // 57P01–57P05: the server ended the session (shutdown, crash, termination).
        case .server: return psql.serverInfo?[.sqlState]?.hasPrefix("57P") ?? false
        default: return false
        }
    }
}

extension PostgresConnection {
    /// Every statement of the stores goes through here. PostgresNIO writes a statement to its
    /// channel without a promise, so one written after the channel closed (the server ended the
    /// session between two statements, and SwiftNIO saw the socket close) never completes and
    /// would hold its caller and its pooled connection until the statement deadline.
    @discardableResult
    public func queryIfOpen(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        guard !isClosed else { throw ClosedBeforeSending() }
        return try await self.query(query, logger: logger)
    }

    public func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRandomAccessRow] {
        try await queryIfOpen(query, logger: logger).collect().map { $0.makeRandomAccess() }
    }
}

/// A statement not sent because its connection had closed.
struct ClosedBeforeSending: Error {}

/// The pool gave no connection at all.
struct NoConnection: Error {
    let underlying: Error
}

/// Which step of a transaction failed, which decides whether it can have committed.
enum TransactionFailure: Error {
    case begin(Error), body(Error), commit(Error)

    var cause: Error {
        switch self { case .begin(let error), .body(let error), .commit(let error): return error }
    }
}
