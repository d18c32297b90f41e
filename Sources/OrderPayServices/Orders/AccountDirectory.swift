import OrderPayCore

/// The accounts an order or a charge may belong to, as the service that keeps them knows them.
/// Asked before every write that charges an account (a new order, a payment retry), whoever asks:
/// an access token lives 5 minutes and outlives a lock or a delete, so the token alone does not
/// say the account may still be charged.
public protocol AccountDirectory: Sendable {
    /// The account's status now, or nil when there is no account with that id.
    /// - Parameter callerToken: the caller's bearer token, for a directory that asks another
    ///   service on the caller's behalf.
    func status(ofUser id: Int64, callerToken: String?) async throws -> UserStatus?

    /// The account's status as known at most a few seconds ago (the directory's documented
    /// bound), for the hot path: a user placing their own orders. The default is `status`.
    func recentStatus(ofUser id: Int64, callerToken: String?) async throws -> UserStatus?
}

extension AccountDirectory {
    public func recentStatus(ofUser id: Int64, callerToken: String?) async throws -> UserStatus? {
        try await status(ofUser: id, callerToken: callerToken)
    }

    /// The one rule for a write that charges an account: the account exists (else 422 on `field`)
    /// and is ACTIVE (else 409), whoever asks. A user charging their own account is checked with
    /// `recentStatus` (their own orders are the hot path); an operator acting on someone else's
    /// account with `status`, as exactly as before.
    /// - Parameter action: what only an ACTIVE user can do, for the message ("place orders").
    public func requireActive(user id: Int64, actor: Actor, callerToken: String?, to action: String,
                              field: String = "userId") async throws {
        let status = id <= 0 ? nil
            : actor.userId == id ? try await recentStatus(ofUser: id, callerToken: callerToken)
            : try await status(ofUser: id, callerToken: callerToken)
        guard let status else { throw AppError.validation("user \(id) does not exist", field: field) }
        guard status == .active else { throw AppError.conflict("user \(id) is \(status.rawValue); only an ACTIVE user can \(action)") }
    }
}

/// The accounts in this process's own auth store: embedded mode, where every service is here.
/// Always exact (never a cache); lookups that arrive while one runs share the next batch, which
/// reads each account asked for once: a burst of orders costs a read per account, not per order.
public struct LocalAccountDirectory: AccountDirectory {
    let repository: any AuthRepository
    private let reads: CoalescedLookup<Int64, UserStatus>

    public init(_ repository: any AuthRepository) {
        self.repository = repository
        reads = CoalescedLookup { [repository] ids in
            var found: [Int64: UserStatus] = [:]
            for id in ids { if let user = try await repository.user(id: id)?.user { found[id] = user.status } }
            return found
        }
    }

    public func status(ofUser id: Int64, callerToken: String?) async throws -> UserStatus? {
        try await reads.values(for: [id])[id]
    }
}
