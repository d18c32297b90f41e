import Foundation
import OrderPayConsole
import OrderPayCore

/// What the operator does: place, retry, cancel, complete, refund, replay, create and change users.
extension RemoteBackend {
    /// Placed with a fresh Idempotency-Key (so the gateway may retry it safely), for `userId`
    /// when that is not the operator (`?userId=`, admins only).
    public func placeOrder(_ order: NewOrder) async throws -> Order {
        let request = PlaceOrderRequest(items: order.items, shippingAddress: order.shippingAddress,
                                        paymentMethod: order.paymentMethod, paymentToken: order.paymentToken)
        let forUser = order.userId == operatorUser.id ? nil : String(order.userId)
        return try await send(Order.self, "POST", "/api/orders", query: [("userId", forUser)], json: request,
                              headers: [("Idempotency-Key", "console-\(UUID().uuidString.lowercased())")])
    }

    public func retryPayment(id: Int64, token: String?) async throws -> Payment {
        try await send(Payment.self, "POST", "/api/payments/\(id)/retry", json: RetryBody(paymentToken: token))
    }

    public func cancelOrder(id: Int64) async throws -> Order {
        try await send(Order.self, "POST", "/api/orders/\(id)/cancel")
    }

    public func completeOrder(id: Int64) async throws -> Order {
        try await send(Order.self, "POST", "/api/orders/\(id)/complete")
    }

    /// Initiate, then process. A refund initiated earlier but never processed (the payment is
    /// already REFUND_PENDING) is processed without initiating again.
    public func refundPayment(id: Int64, reason: String) async throws -> Payment {
        do {
            _ = try await send(Payment.self, "POST", "/api/payments/\(id)/refund/initiate", json: RefundBody(reason: reason))
        } catch let error as AppError where error.kind == .conflict {
            guard try await get(Payment.self, "/api/payments/\(id)").status == .refundPending else { throw error }
        }
        return try await send(Payment.self, "POST", "/api/payments/\(id)/refund/process")
    }

    public func replayDeadLetter(id: Int64) async throws {
        try await perform("POST", "/api/events/dead-letters/\(id)/replay")
    }

    public func createUser(_ user: NewUser) async throws -> User {
        let roles: [OrderPayCore.Role] = user.admin ? [.admin, .user] : [.user]
        return try await send(User.self, "POST", "/api/users",
                              json: CreateUserBody(email: user.email, password: user.password, name: user.name, roles: roles))
    }

    public func setRoles(userId: Int64, roles: [OrderPayCore.Role]) async throws -> User {
        try await send(User.self, "PUT", "/api/users/\(userId)/roles", json: RolesBody(roles: roles))
    }

    public func setLocked(userId: Int64, locked: Bool) async throws -> User {
        try await send(User.self, "PUT", "/api/users/\(userId)/status", json: StatusBody(status: locked ? .locked : .active))
    }
}
