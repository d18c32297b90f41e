import Foundation
import OrderPayConsole
import OrderPayCore
import OrderPayEmbedded
import OrderPayServices

/// The console's backend in embedded mode: the service objects of this process, on the data dir.
/// The operator has the data dir, so it acts as an admin, recorded under its login name.
public final class EmbeddedBackend: Backend, @unchecked Sendable {
    public let system: EmbeddedSystem
    let actor: Actor
    public let modeName = "embedded"
    public var endpoint: String { system.configuration.dataDirectory }
    public var operatorName: String { actor.email }

    public init(system: EmbeddedSystem, operatorName: String) {
        self.system = system
        actor = Actor(userId: nil, email: operatorName, roles: [.admin])
    }

    public func users(_ query: ListQuery) async throws -> RowPage<User> {
        let status = try query.status.map { try Self.parse(UserStatus.self, $0, "status") }
        let page = try await system.auth.listUsers(actor: actor, filter: UserFilter(status: status, text: query.text),
                                                   page: PageRequest(page: query.page, size: query.size))
        return RowPage(rows: page.content, page: page.page, total: page.totalElements)
    }

    public func orders(_ query: ListQuery) async throws -> RowPage<Order> {
        var filter = OrderFilter(status: try query.status.map { try Self.parse(OrderStatus.self, $0, "status") })
        if let email = query.text {
            // No such user: no orders, as the remote backend answers (an error here kept the
            // previous query's count in the pane's title).
            guard let user = try await system.auth.user(email: email) else { return RowPage(rows: [], page: query.page, total: 0) }
            filter.userId = user.id
        }
        let page = try await system.orders.list(actor: actor, filter: filter, page: PageRequest(page: query.page, size: query.size))
        return RowPage(rows: page.content, page: page.page, total: page.totalElements)
    }

    public func payments(_ query: ListQuery) async throws -> RowPage<Payment> {
        let filter = PaymentFilter(status: try query.status.map { try Self.parse(PaymentStatus.self, $0, "status") })
        let page = try await system.payments.list(actor: actor, filter: filter, page: PageRequest(page: query.page, size: query.size))
        return RowPage(rows: page.content, page: page.page, total: page.totalElements)
    }

    static func parse<E: RawRepresentable>(_ type: E.Type, _ text: String, _ field: String) throws -> E where E.RawValue == String {
        guard let value = E(rawValue: text.uppercased()) else { throw AppError.validation("'\(text)' is not a valid \(field)", field: field) }
        return value
    }

    public func registry() async throws -> [ServiceInstance] {
        _ = try await system.registry.evictExpired()
        return try await system.registry.instances()
    }

    public func orderCounts() async throws -> [OrderStatus: Int] { try await system.orders.countByStatus() }
    public func products() async throws -> [Product] { try await system.orders.products() }

    public func deadLetters() async throws -> [DeadLetterRow] {
        try await system.events.deadLetters(includeReplayed: true).map {
            DeadLetterRow(id: $0.id, group: $0.group, event: $0.event, error: $0.error, attempts: $0.attempts, replayed: $0.replayedAt != nil)
        }
    }

    public func orderDetail(id: Int64) async throws -> OrderDetail {
        let order = try await system.orders.order(actor: actor, id: id)
        let history = try await system.orders.history(actor: actor, orderId: id)
        let payment = try? await system.payments.payment(actor: actor, orderId: id)
        var paymentHistory: [PaymentHistoryEntry] = []
        if let payment { paymentHistory = try await system.payments.history(actor: actor, paymentId: payment.id) }
        let user = try? await system.auth.user(actor: actor, id: order.userId)
        return OrderDetail(order: order, history: history, payment: payment, paymentHistory: paymentHistory, user: user)
    }

    public func paymentDetail(id: Int64) async throws -> PaymentDetail {
        let payment = try await system.payments.payment(actor: actor, id: id)
        return PaymentDetail(payment: payment, history: try await system.payments.history(actor: actor, paymentId: id))
    }

    public func userDetail(id: Int64) async throws -> UserDetail {
        let user = try await system.auth.user(actor: actor, id: id)
        let orders = try await system.orders.list(actor: actor, filter: OrderFilter(userId: id), page: PageRequest(page: 0, size: 10))
        return UserDetail(user: user, recentOrders: orders.content)
    }

    public func placeOrder(_ order: OrderPayConsole.NewOrder) async throws -> Order {
        let request = PlaceOrderRequest(items: order.items, shippingAddress: order.shippingAddress,
                                        paymentMethod: order.paymentMethod, paymentToken: order.paymentToken)
        return try await system.orders.place(actor: actor, forUser: order.userId, request)
    }

    public func retryPayment(id: Int64, token: String?) async throws -> Payment {
        try await system.payments.retry(actor: actor, id: id, paymentToken: token)
    }

    public func cancelOrder(id: Int64) async throws -> Order { try await system.orders.cancel(actor: actor, id: id, reason: "cancelled by operator") }
    public func completeOrder(id: Int64) async throws -> Order { try await system.orders.complete(actor: actor, id: id) }

    public func refundPayment(id: Int64, reason: String) async throws -> Payment {
        let payment = try await system.payments.payment(actor: actor, id: id)
        if payment.status != .refundPending { _ = try await system.payments.initiateRefund(actor: actor, id: id, reason: reason) }
        return try await system.payments.processRefund(actor: actor, id: id)
    }

    public func replayDeadLetter(id: Int64) async throws { _ = try await system.replayDeadLetter(id: id) }

    public func createUser(_ user: OrderPayConsole.NewUser) async throws -> User {
        try await system.auth.createUser(actor: actor, CreateUserRequest(email: user.email, password: user.password, name: user.name,
                                                                        roles: user.admin ? [.user, .admin] : [.user]))
    }

    public func setRoles(userId: Int64, roles: [Role]) async throws -> User { try await system.auth.changeRoles(actor: actor, id: userId, roles: roles) }

    public func setLocked(userId: Int64, locked: Bool) async throws -> User {
        try await system.auth.setStatus(actor: actor, id: userId, status: locked ? .locked : .active)
    }

    public func recentEvents(topic: Topic, count: Int) async throws -> [StreamedEvent] {
        try await system.events.latest(count: count, topics: [topic]).map { StreamedEvent(cursor: $0.sequence, envelope: $0.envelope) }
    }

    /// The last `backlog` events, then each append as it happens: this process's appends wake the
    /// stream at once, another process's through the log's file watch.
    public func streamEvents(backlog: Int, onStatus: @escaping @Sendable (StreamStatus?) -> Void) -> AsyncStream<[StreamedEvent]> {
        let log = system.events
        return AsyncStream { continuation in
            let task = Task {
                var cursor: Int64 = 0
                do {
                    let recent = try await log.latest(count: backlog, topics: nil)
                    cursor = recent.last?.sequence ?? 0
                    if recent.isEmpty { cursor = try await log.latest(count: 1, topics: nil).last?.sequence ?? 0 }
                    continuation.yield(recent.map { StreamedEvent(cursor: $0.sequence, envelope: $0.envelope) })
                } catch {
                    onStatus("event log: \(error)")
                }
                while !Task.isCancelled {
                    let seen = log.appended.current
                    do {
                        let batch = try await log.tail(after: cursor, topics: nil, limit: 500)
                        if let last = batch.last {
                            cursor = last.sequence
                            continuation.yield(batch.map { StreamedEvent(cursor: $0.sequence, envelope: $0.envelope) })
                            continue
                        }
                    } catch {
                        onStatus("event log: \(error)")
                    }
                    await log.appended.wait(after: seen, timeout: .seconds(5))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
