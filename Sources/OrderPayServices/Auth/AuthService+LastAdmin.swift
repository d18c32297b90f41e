import OrderPayCore

extension AuthService {
    /// Applies a change that takes a user's admin role or ACTIVE status away (deleting, locking,
    /// deactivating or demoting), refused with 409 when the user is the last active admin: nobody
    /// could then manage users, payments or the registry over HTTP. Over HTTP an admin cannot do
    /// it to their own account anyway; the CLI's operator, who holds the data dir, is no user and
    /// could. The store checks and writes in one atomic step, so two operators demoting the last
    /// two admins at the same instant cannot both succeed.
    func updateKeepingAnActiveAdmin(_ id: Int64, _ changes: UserChanges, to action: String) async throws -> User {
        switch try await repository.updateUserKeepingAnActiveAdmin(id: id, changes) {
        case .updated(let user):
            return user
        case .notFound:
            throw AppError.notFound("user \(id) not found")
        case .lastActiveAdmin(let user):
            throw AppError.conflict("\(user.email) is the last active admin: make another user an admin before you \(action)")
        }
    }
}
