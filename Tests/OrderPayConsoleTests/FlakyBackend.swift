import Foundation
import OrderPayConsole
import OrderPayCore

/// A backend whose chosen calls fail as an unreachable service's would, until the test heals
/// them: the console's answers to failures, run by the real runtime.
final class FlakyBackend: Backend, @unchecked Sendable {
    enum Call: Hashable { case counts, products, customers }

    let base: any Backend
    private let lock = NSLock()
    private var failing: Set<Call>

    init(_ base: any Backend, failing: Set<Call>) { self.base = base; self.failing = failing }

    func heal() { lock.withLock { failing = [] } }

    private func check(_ call: Call) throws {
        if lock.withLock({ failing.contains(call) }) { throw AppError(.unavailable, "ORDER-SERVICE instance 127.0.0.1:19381 refused the connection") }
    }

    var modeName: String { base.modeName }
    var endpoint: String { base.endpoint }
    var operatorName: String { base.operatorName }

    func users(_ query: ListQuery) async throws -> RowPage<User> {
        // The picker asks for ACTIVE users; the users pane for all.
        if query.status == UserStatus.active.rawValue { try check(.customers) }
        return try await base.users(query)
    }
    func orders(_ query: ListQuery) async throws -> RowPage<Order> { try await base.orders(query) }
    func payments(_ query: ListQuery) async throws -> RowPage<Payment> { try await base.payments(query) }
    func registry() async throws -> [ServiceInstance] { try await base.registry() }
    func orderCounts() async throws -> [OrderStatus: Int] { try check(.counts); return try await base.orderCounts() }
    func products() async throws -> [Product] { try check(.products); return try await base.products() }
    func deadLetters() async throws -> [DeadLetterRow] { try await base.deadLetters() }
    func orderDetail(id: Int64) async throws -> OrderDetail { try await base.orderDetail(id: id) }
    func paymentDetail(id: Int64) async throws -> PaymentDetail { try await base.paymentDetail(id: id) }
    func userDetail(id: Int64) async throws -> UserDetail { try await base.userDetail(id: id) }
    func placeOrder(_ order: NewOrder) async throws -> Order { try await base.placeOrder(order) }
    func retryPayment(id: Int64, token: String?) async throws -> Payment { try await base.retryPayment(id: id, token: token) }
    func cancelOrder(id: Int64) async throws -> Order { try await base.cancelOrder(id: id) }
    func completeOrder(id: Int64) async throws -> Order { try await base.completeOrder(id: id) }
    func refundPayment(id: Int64, reason: String) async throws -> Payment { try await base.refundPayment(id: id, reason: reason) }
    func replayDeadLetter(id: Int64) async throws { try await base.replayDeadLetter(id: id) }
    func createUser(_ user: NewUser) async throws -> User { try await base.createUser(user) }
    func setRoles(userId: Int64, roles: [OrderPayCore.Role]) async throws -> User { try await base.setRoles(userId: userId, roles: roles) }
    func setLocked(userId: Int64, locked: Bool) async throws -> User { try await base.setLocked(userId: userId, locked: locked) }
    func recentEvents(topic: Topic, count: Int) async throws -> [StreamedEvent] { try await base.recentEvents(topic: topic, count: count) }
    func streamEvents(backlog: Int, onStatus: @escaping @Sendable (StreamStatus?) -> Void) -> AsyncStream<[StreamedEvent]> {
        base.streamEvents(backlog: backlog, onStatus: onStatus)
    }
}
