import OrderPayCore

/// The accounts an order may belong to, as the service that keeps them knows them. Asked only
/// when an admin places an order for another user: a user placing their own order is vouched for
/// by their token.
public protocol AccountDirectory: Sendable {
    /// The account's status, or nil when there is no account with that id.
    /// - Parameter callerToken: the admin's bearer token, for a directory that asks another
    ///   service on the admin's behalf.
    func status(ofUser id: Int64, callerToken: String?) async throws -> UserStatus?
}

/// The accounts in this process's own auth store: embedded mode, where every service is here.
public struct LocalAccountDirectory: AccountDirectory {
    let repository: any AuthRepository

    public init(_ repository: any AuthRepository) { self.repository = repository }

    public func status(ofUser id: Int64, callerToken: String?) async throws -> UserStatus? {
        try await repository.user(id: id)?.user.status
    }
}
