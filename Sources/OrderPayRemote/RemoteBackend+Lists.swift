import Foundation
import OrderPayConsole
import OrderPayCore

/// The panes' pages and the small lists.
extension RemoteBackend {
    public func users(_ query: ListQuery) async throws -> RowPage<User> {
        let page = try await get(Page<User>.self, "/api/users", query: paging(query) + [("status", query.status), ("q", query.text)])
        return RowPage(rows: page.content, page: page.page, total: page.totalElements)
    }

    /// `text` is a user's email: resolved to an id first (no such user: an empty page).
    public func orders(_ query: ListQuery) async throws -> RowPage<Order> {
        var userId: Int64?
        if let text = query.text?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            guard let user = try await user(matching: text) else { return RowPage(rows: [], page: query.page, total: 0) }
            userId = user.id
        }
        let page = try await get(Page<Order>.self, "/api/orders",
                                 query: paging(query) + [("status", query.status), ("userId", userId.map(String.init))])
        return RowPage(rows: page.content, page: page.page, total: page.totalElements)
    }

    public func payments(_ query: ListQuery) async throws -> RowPage<Payment> {
        let page = try await get(Page<Payment>.self, "/api/payments", query: paging(query) + [("status", query.status)])
        return RowPage(rows: page.content, page: page.page, total: page.totalElements)
    }

    /// An admin may place orders for any active account; anyone else only for themselves (the
    /// order service refuses them `?userId=`), so their picker holds their own account alone, as
    /// it is now (the roles asked afresh: an admin may have been demoted since signing in).
    public func orderCustomers() async throws -> [User] {
        let me = try await get(User.self, "/api/users/me")
        guard me.isAdmin else { return [me] }
        return try await users(ListQuery(page: 0, size: Self.customerPickerLimit, status: UserStatus.active.rawValue)).rows
    }

    public func registry() async throws -> [ServiceInstance] {
        let now = Date()
        return try await get([RegistryInstanceView].self, "/api/registry").map { $0.instance(now: now) }
    }

    /// One one-row page per status, concurrently, reading `totalElements` (the API has no count endpoint).
    public func orderCounts() async throws -> [OrderStatus: Int] {
        try await withThrowingTaskGroup(of: (OrderStatus, Int).self) { group in
            for status in OrderStatus.allCases {
                group.addTask {
                    let page = try await self.get(Page<Order>.self, "/api/orders", query: [("status", status.rawValue), ("size", "1")])
                    return (status, page.totalElements)
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
    }

    /// The whole catalog, retired products included (the console filters what it offers).
    public func products() async throws -> [Product] {
        try await get([Product].self, "/api/products", query: [("includeInactive", "true")])
    }

    /// Every dead letter, replayed ones included (the row says which).
    public func deadLetters() async throws -> [DeadLetterRow] {
        try await get([DeadLetterBody].self, "/api/events/dead-letters", query: [("includeReplayed", "true")]).map {
            DeadLetterRow(id: $0.id, group: $0.group, event: $0.event, error: $0.error, attempts: $0.attempts, replayed: $0.replayedAt != nil)
        }
    }

    func paging(_ query: ListQuery) -> [(String, String?)] {
        [("page", String(max(0, query.page))), ("size", String(query.size))]
    }

    /// The user with exactly this email (any case), else the only user the search finds.
    func user(matching text: String) async throws -> User? {
        let found = try await get(Page<User>.self, "/api/users", query: [("q", text), ("size", "50")]).content
        return found.first { $0.email.caseInsensitiveCompare(text) == .orderedSame } ?? (found.count == 1 ? found[0] : nil)
    }
}
