import OrderPayCore
import OrderPayServices

extension EmbeddedSystem {
    /// An operator's order on a customer's behalf (the CLI and the embedded console). Over HTTP a
    /// customer orders with their own token, which a locked or deleted account cannot get; here the
    /// operator names the account, so its status is checked first.
    public func placeOrder(by actor: Actor, forCustomer userId: Int64, _ request: PlaceOrderRequest,
                           idempotencyKey: String? = nil) async throws -> Order {
        let customer = try await auth.user(actor: .system("orders"), id: userId)
        guard customer.status == .active else {
            throw AppError.conflict("user \(customer.email) is \(customer.status.rawValue); only an ACTIVE user can place orders")
        }
        return try await orders.place(actor: actor, forUser: userId, request, idempotencyKey: idempotencyKey)
    }
}
