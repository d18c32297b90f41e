import Hummingbird
import OrderPayCore
import OrderPayServices

/// `/api/payments`: following payments, retries, cancellations and refunds. Another user's
/// payment answers 404.
public func addPaymentRoutes(to api: APIRouter, payments: PaymentService, tokens: TokenService) {
    let tag = "payments", user = RouteAccess.user(tokens), admin = RouteAccess.admin(tokens)
    let base = "/api/payments"

    api.on(RouteDescriptor(method: .get, path: "\(base)/{id}", tag: tag, summary: "One payment", access: user,
                           response: .json("Payment"))) { _, context in
        try .json(try await payments.payment(actor: try context.requireActor(), id: try context.pathID()))
    }
    api.on(RouteDescriptor(method: .get, path: "\(base)/order/{orderId}", tag: tag, summary: "The payment of an order",
                           access: user, response: .json("Payment"))) { _, context in
        try .json(try await payments.payment(actor: try context.requireActor(), orderId: try context.pathID("orderId")))
    }
    api.on(RouteDescriptor(method: .get, path: "\(base)/{id}/history", tag: tag, summary: "Every status change of a payment, with attempt and reason",
                           access: user, response: .jsonArray("PaymentHistoryEntry"))) { _, context in
        try .json(try await payments.history(actor: try context.requireActor(), paymentId: try context.pathID()))
    }
    api.on(RouteDescriptor(method: .get, path: base, tag: tag, summary: "The caller's payments, newest first (admins: everyone's)",
                           access: user, response: .json("PaymentPage"), query: [
                               .page, .size,
                               ParameterDoc("status", "filter by status", allowed: PaymentStatus.allCases.map(\.rawValue)),
                               ParameterDoc("userId", .integer, "admins: one user's payments (others may only name themselves)"),
                           ], problems: [403: "userId names another user and the caller is not an admin"])) { request, context in
        let filter = PaymentFilter(userId: try request.queryInt64("userId"), status: try request.queryEnum("status", as: PaymentStatus.self))
        return try .json(try await payments.list(actor: try context.requireActor(), filter: filter, page: try request.pageRequest()))
    }
    api.on(RouteDescriptor(method: .get, path: "\(base)/status/{status}", tag: tag, summary: "The caller's payments in one status (admins: everyone's)",
                           access: user, response: .json("PaymentPage"),
                           query: [.page, .size, ParameterDoc("userId", .integer, "admins: one user's payments (others may only name themselves)")],
                           pathValues: ["status": PaymentStatus.allCases.map(\.rawValue)],
                           problems: [403: "userId names another user and the caller is not an admin"])) { request, context in
        let filter = PaymentFilter(userId: try request.queryInt64("userId"), status: try context.pathEnum("status", as: PaymentStatus.self))
        return try .json(try await payments.list(actor: try context.requireActor(), filter: filter, page: try request.pageRequest()))
    }
    api.on(RouteDescriptor(method: .post, path: "\(base)/{id}/retry", tag: tag,
                           summary: "Charge a FAILED payment again, optionally with a new token; returns the outcome (409 unless the payment's account is ACTIVE)",
                           access: user, body: "RetryPaymentRequest", bodyRequired: false, response: .json("Payment"),
                           problems: [503: "the auth service, which says whether the account is ACTIVE, cannot be reached"])) { request, context in
        let id = try context.pathID()
        let body = try await request.decodeJSONIfPresent(RetryPaymentRequest.self, context: context)
        return try .json(try await payments.retry(actor: try context.requireActor(), id: id, paymentToken: body?.paymentToken,
                                                  traceId: context.traceId, callerToken: context.bearerToken))
    }
    api.on(RouteDescriptor(method: .post, path: "\(base)/{id}/cancel", tag: tag, summary: "Cancel a PENDING or FAILED payment",
                           access: user, response: .json("Payment"))) { _, context in
        try .json(try await payments.cancel(actor: try context.requireActor(), id: try context.pathID()))
    }
    api.on(RouteDescriptor(method: .post, path: "\(base)/{id}/refund/initiate", tag: tag,
                           summary: "Ask for a refund of a SUCCESS payment of a PAID order", access: user,
                           body: "RefundRequest", response: .json("Payment"))) { request, context in
        let id = try context.pathID()
        let body = try await request.decodeJSON(RefundRequest.self, context: context)
        return try .json(try await payments.initiateRefund(actor: try context.requireActor(), id: id, reason: body.reason))
    }
    api.on(RouteDescriptor(method: .post, path: "\(base)/{id}/refund/process", tag: tag,
                           summary: "Complete a pending refund: payment REFUNDED, order CANCELLED", access: admin,
                           response: .json("Payment"))) { _, context in
        try .json(try await payments.processRefund(actor: try context.requireActor(), id: try context.pathID(), traceId: context.traceId))
    }
}
