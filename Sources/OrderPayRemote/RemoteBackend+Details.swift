import Foundation
import OrderPayConsole
import OrderPayCore

/// The detail views: each gathers what several endpoints know about one record.
extension RemoteBackend {
    /// The order, its history, its payment (none yet: nil) with that payment's history, and its user.
    public func orderDetail(id: Int64) async throws -> OrderDetail {
        // The order and its history come from two requests, so the flow can move the order
        // between them (PAID order, history still ending at FAILED). Read both again until they
        // agree, so a detail view never shows a status its own history does not reach.
        var attempt = 0
        while true {
            attempt += 1
            let detail = try await orderDetailOnce(id: id)
            if detail.history.last?.to == detail.order.status || attempt >= 5 { return detail }
        }
    }

    private func orderDetailOnce(id: Int64) async throws -> OrderDetail {
        async let order = get(Order.self, "/api/orders/\(id)")
        async let history = get([OrderHistoryEntry].self, "/api/orders/\(id)/history")
        async let payment = optional { try await self.get(Payment.self, "/api/payments/order/\(id)") }
        let (loadedOrder, loadedHistory, loadedPayment) = try await (order, history, payment)
        async let user = optional { try await self.get(User.self, "/api/users/\(loadedOrder.userId)") }
        var paymentHistory: [PaymentHistoryEntry] = []
        if let loadedPayment { paymentHistory = try await self.paymentHistory(id: loadedPayment.id) }
        return OrderDetail(order: loadedOrder, history: loadedHistory, payment: loadedPayment,
                           paymentHistory: paymentHistory, user: try await user)
    }

    public func paymentDetail(id: Int64) async throws -> PaymentDetail {
        async let payment = get(Payment.self, "/api/payments/\(id)")
        async let history = paymentHistory(id: id)
        return PaymentDetail(payment: try await payment, history: try await history)
    }

    /// The user and their 20 most recent orders.
    public func userDetail(id: Int64) async throws -> UserDetail {
        async let user = get(User.self, "/api/users/\(id)")
        async let orders = get(Page<Order>.self, "/api/orders", query: [("userId", String(id)), ("size", "20")])
        return UserDetail(user: try await user, recentOrders: try await orders.content)
    }

    /// `GET /api/payments/{id}/history`; a gateway whose payment service predates that route
    /// answers 404 for it, and the history is then shown empty rather than failing the view.
    func paymentHistory(id: Int64) async throws -> [PaymentHistoryEntry] {
        try await optional { try await self.get([PaymentHistoryEntry].self, "/api/payments/\(id)/history") } ?? []
    }

    /// nil for a 404, the value otherwise; other errors pass.
    func optional<T>(_ body: () async throws -> T) async throws -> T? {
        do {
            return try await body()
        } catch let error as AppError where error.kind == .notFound {
            return nil
        }
    }
}
