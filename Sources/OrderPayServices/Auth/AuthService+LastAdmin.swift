import OrderPayCore

extension AuthService {
    /// Refuses a change that would leave no active admin (deleting, locking, deactivating or
    /// demoting the last one): nobody could then manage users, payments or the registry over
    /// HTTP. Over HTTP an admin cannot do it to their own account anyway; the CLI's operator, who
    /// holds the data dir, is no user and could. A guard, not a lock: two operators demoting the
    /// last two admins at the same instant could both pass it.
    func requireAnotherActiveAdmin(besides id: Int64, to action: String) async throws {
        guard let target = try await repository.user(id: id)?.user, target.isAdmin, target.status == .active else { return }
        let admins = try await repository.listUsers(filter: UserFilter(status: .active, role: .admin), page: PageRequest(page: 0, size: 2))
        if admins.totalElements <= 1 {
            throw AppError.conflict("\(target.email) is the last active admin: make another user an admin before you \(action)")
        }
    }
}
