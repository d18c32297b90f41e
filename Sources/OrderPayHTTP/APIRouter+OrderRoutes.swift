import Hummingbird
import OrderPayCore
import OrderPayServices

/// `/api/orders`: placing and following orders. Another user's order answers 404.
public func addOrderRoutes(to api: APIRouter, orders: OrderService, tokens: TokenService) {
    let tag = "orders", user = RouteAccess.user(tokens), admin = RouteAccess.admin(tokens)
    let base = "/api/orders"
    let listQuery: [ParameterDoc] = [
        .page, .size,
        ParameterDoc("status", "filter by status", allowed: OrderStatus.allCases.map(\.rawValue)),
        ParameterDoc("userId", .integer, "admins: one user's orders (others may only name themselves)"),
    ]

    api.on(RouteDescriptor(method: .post, path: base, tag: tag,
                           summary: "Place an order (priced by the server) for an ACTIVE account (409 otherwise, the caller's own too); repeating an Idempotency-Key returns the first order with 200",
                           access: user, body: "PlaceOrderRequest", response: .json("Order", status: 201),
                           alsoAnswers: (200, "the order placed earlier with this Idempotency-Key (nothing new was placed)"),
                           query: [ParameterDoc("userId", .integer, "admins: place the order for this user (default: the caller)")],
                           headers: [ParameterDoc("Idempotency-Key", "makes retries of this request safe (1–200 visible ASCII characters, "
                                                  + "given once; otherwise 400)", pattern: "^[!-~]{1,200}$")],
                           problems: [400: "a malformed body or parameter, or an Idempotency-Key header that is malformed or given more than once",
                                      403: "userId names another user and the caller is not an admin",
                                      503: "the auth service, which says whether the account is ACTIVE, cannot be reached"])) { request, context in
        let body = try await request.decodeJSON(PlaceOrderRequest.self, context: context)
        let placed = try await orders.placeWithOutcome(actor: try context.requireActor(), forUser: try request.queryInt64("userId"), body,
                                                       idempotencyKey: try request.idempotencyKey(), traceId: context.traceId,
                                                       callerToken: context.bearerToken)
        return try .json(placed.order, status: placed.created ? .created : .ok)
    }
    api.on(RouteDescriptor(method: .get, path: base, tag: tag, summary: "The caller's orders, newest first (admins: everyone's)",
                           access: user, response: .json("OrderPage"), query: listQuery,
                           problems: [403: "userId names another user and the caller is not an admin"])) { request, context in
        let filter = OrderFilter(userId: try request.queryInt64("userId"), status: try request.queryEnum("status", as: OrderStatus.self))
        return try .json(try await orders.list(actor: try context.requireActor(), filter: filter, page: try request.pageRequest()))
    }
    api.on(RouteDescriptor(method: .get, path: "\(base)/{id}", tag: tag, summary: "One order (its owner or an admin)",
                           access: user, response: .json("Order"))) { _, context in
        try .json(try await orders.order(actor: try context.requireActor(), id: try context.pathID()))
    }
    api.on(RouteDescriptor(method: .get, path: "\(base)/status/{status}", tag: tag, summary: "The caller's orders in one status (admins: everyone's)",
                           access: user, response: .json("OrderPage"),
                           query: [.page, .size, ParameterDoc("userId", .integer, "admins: one user's orders (others may only name themselves)")],
                           pathValues: ["status": OrderStatus.allCases.map(\.rawValue)],
                           problems: [403: "userId names another user and the caller is not an admin"])) { request, context in
        let filter = OrderFilter(userId: try request.queryInt64("userId"), status: try context.pathEnum("status", as: OrderStatus.self))
        return try .json(try await orders.list(actor: try context.requireActor(), filter: filter, page: try request.pageRequest()))
    }
    api.on(RouteDescriptor(method: .get, path: "\(base)/{id}/history", tag: tag, summary: "Every status change, with its reason",
                           access: user, response: .jsonArray("OrderHistoryEntry"))) { _, context in
        try .json(try await orders.history(actor: try context.requireActor(), orderId: try context.pathID()))
    }
    api.on(RouteDescriptor(method: .post, path: "\(base)/{id}/cancel", tag: tag,
                           summary: "Cancel an order not yet paid (a PAID order is cancelled by refunding its payment)",
                           access: user, body: "CancelOrderRequest", bodyRequired: false, response: .json("Order"))) { request, context in
        let id = try context.pathID()
        let body = try await request.decodeJSONIfPresent(CancelOrderRequest.self, context: context)
        return try .json(try await orders.cancel(actor: try context.requireActor(), id: id, reason: body?.reason))
    }
    api.on(RouteDescriptor(method: .post, path: "\(base)/{id}/complete", tag: tag, summary: "Mark a PAID order fulfilled",
                           access: admin, response: .json("Order"))) { _, context in
        try .json(try await orders.complete(actor: try context.requireActor(), id: try context.pathID()))
    }
}

extension Request {
    /// The Idempotency-Key header, checked as a request's other parameters are: malformed or given
    /// twice is a bad request (400), as for a query parameter. It was a 422 from the order
    /// service, and two headers, joined into "a, b", read as one key with a space in it.
    func idempotencyKey() throws -> String? {
        let values = headers[values: .idempotencyKey]
        let name = HTTPFields.Element.Name.idempotencyKey.rawName
        guard values.count < 2 else {
            throw HTTPProblem.badRequest("header '\(name)' is given more than once; give it once", field: name)
        }
        guard let key = values.first else { return nil }
        // Visible ASCII only: a header's other bytes decode lossily, so two different keys
        // could become one and the second order would be taken for a retry of the first.
        guard (1...200).contains(key.unicodeScalars.count), key.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            throw HTTPProblem.badRequest("header '\(name)' must be 1–200 visible ASCII characters (no spaces)", field: name)
        }
        return key
    }
}
