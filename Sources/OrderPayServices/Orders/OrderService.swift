import Foundation
import Logging
import OrderPayCore

/// Places orders, prices them from the catalog, and moves them through their state machine.
public final class OrderService: Sendable {
    public static let consumerGroup = "order-service"
    public static let maxQuantity = PlaceOrderRequest.maxQuantity
    /// Lines per order: enough for any basket, and a bound on what one request can make the
    /// services store, relay and show.
    public static let maxItems = 100

    let repository: any OrderRepository
    /// Whose orders may be placed: every new order's owner must have an ACTIVE account, whoever
    /// places it (`AccountDirectory.requireActive`).
    let accounts: any AccountDirectory
    /// The status changes this service commits, as they commit.
    public let statusFeed = OrderStatusFeed()
    let clock: any Clock
    let logger: Logger

    public init(repository: any OrderRepository, accounts: any AccountDirectory, clock: any Clock,
                logger: Logger = Logger(label: "orderpay.orders")) {
        self.repository = repository
        self.accounts = accounts
        self.clock = clock
        self.logger = logger
    }

    // MARK: Catalog

    public func products(includeInactive: Bool = false) async throws -> [Product] {
        try await repository.listProducts(includeInactive: includeInactive)
    }

    public func product(id: Int64) async throws -> Product {
        guard let product = try await repository.products(ids: [id])[id] else { throw AppError.notFound("product \(id) not found") }
        return product
    }

    public func createProduct(actor: Actor, sku: String, name: String, unitPrice: Money, active: Bool = true) async throws -> Product {
        guard actor.isAdmin else { throw AppError.forbidden("only an admin can create products") }
        try Self.validateProduct(sku: sku, name: name, unitPrice: unitPrice)
        return try await repository.insertProduct(sku: sku.trimmingCharacters(in: .whitespaces),
                                                  name: name.trimmingCharacters(in: .whitespaces),
                                                  unitPrice: unitPrice, active: active)
    }

    public func updateProduct(actor: Actor, _ product: Product) async throws -> Product {
        guard actor.isAdmin else { throw AppError.forbidden("only an admin can change products") }
        _ = try await self.product(id: product.id)
        try Self.validateProduct(sku: product.sku, name: product.name, unitPrice: product.unitPrice)
        var product = product
        // Trimmed as on create: " MS-002 " would otherwise slip past the SKU's uniqueness.
        product.sku = product.sku.trimmingCharacters(in: .whitespaces)
        product.name = product.name.trimmingCharacters(in: .whitespaces)
        return try await repository.updateProduct(product)
    }

    public static func validateProduct(sku: String, name: String, unitPrice: Money) throws {
        var v = Validator()
        v.check(!sku.trimmingCharacters(in: .whitespaces).isEmpty && sku.unicodeScalars.count <= 64, "sku", "sku must be 1–64 characters")
        v.check(!name.trimmingCharacters(in: .whitespaces).isEmpty && name.unicodeScalars.count <= 200, "name", "name must be 1–200 characters")
        v.check(unitPrice > .zero, "unitPrice", "unitPrice must be greater than 0")
        v.checkPrintable(sku, "sku")
        v.checkPrintable(name, "name")
        try v.throwIfInvalid()
    }

    // MARK: Placing

    /// Validates, prices every item from the catalog (a client never sends a price) and writes the
    /// order with its `order-created` event in one transaction.
    public func place(actor: Actor, forUser userId: Int64? = nil, _ request: PlaceOrderRequest,
                      idempotencyKey: String? = nil, traceId: String? = nil) async throws -> Order {
        try await placeWithOutcome(actor: actor, forUser: userId, request, idempotencyKey: idempotencyKey, traceId: traceId).order
    }

    /// `place`, also saying whether the order was created now (false: an earlier order with the same
    /// idempotency key was returned), so HTTP can answer 201 or 200.
    /// - Parameter callerToken: the caller's bearer token, for checking another user's account
    ///   with the auth service (distributed mode).
    public func placeWithOutcome(actor: Actor, forUser userId: Int64? = nil, _ request: PlaceOrderRequest,
                                 idempotencyKey: String? = nil, traceId: String? = nil,
                                 callerToken: String? = nil) async throws -> (order: Order, created: Bool) {
        guard let ownerId = userId ?? actor.userId else { throw AppError.validation("an order needs a user", field: "userId") }
        guard ownerId == actor.userId || actor.isAdmin else { throw AppError.forbidden("only an admin can place an order for another user") }

        var v = Validator()
        v.check(!request.items.isEmpty, "items", "an order needs at least one item")
        v.check(request.items.count <= Self.maxItems, "items", "an order has at most \(Self.maxItems) items, not \(request.items.count)")
        for (index, item) in request.items.enumerated() {
            v.check((1...Self.maxQuantity).contains(item.quantity), "items[\(index)].quantity", "quantity must be between 1 and \(Self.maxQuantity)")
        }
        let address = request.shippingAddress.trimmingCharacters(in: .whitespacesAndNewlines)
        v.check(!address.isEmpty, "shippingAddress", "shippingAddress must not be empty")
        v.check(address.unicodeScalars.count <= ShippingAddress.maxCharacters, "shippingAddress",
                "shippingAddress must be at most \(ShippingAddress.maxCharacters) characters")
        v.checkPrintable(address, "shippingAddress")
        v.check(SimulatedPaymentProcessor.isWellFormed(request.paymentToken), "paymentToken", "paymentToken must look like \(PaymentToken.shape)")
        if let key = idempotencyKey {
            // Visible ASCII only: a header's other bytes decode lossily, so two different keys
            // could become one and the second order would be taken for a retry of the first.
            let visibleASCII = key.unicodeScalars.allSatisfy { (0x21...0x7E).contains($0.value) }
            v.check(visibleASCII && (1...200).contains(key.count), "Idempotency-Key",
                    "Idempotency-Key must be 1–200 visible ASCII characters (no spaces)")
        }
        try v.throwIfInvalid()
        // The account is checked for a new order only: a retry of one already placed (same key) is
        // answered with it, even if the account changed or cannot be checked meanwhile. Looked up
        // only when the check refuses, so a keyed order does not pay a read for a rare retry.
        do {
            try await accounts.requireActive(user: ownerId, actor: actor, callerToken: callerToken, to: "place orders")
        } catch {
            guard let key = idempotencyKey, try await repository.order(userId: ownerId, idempotencyKey: key) != nil else { throw error }
        }

        let catalog = try await repository.products(ids: request.items.map(\.productId))
        var items: [OrderItem] = []
        var problems = Validator()
        for (index, item) in request.items.enumerated() {
            guard let product = catalog[item.productId] else {
                problems.check(false, "items[\(index)].productId", "product \(item.productId) does not exist")
                continue
            }
            problems.check(product.active, "items[\(index)].productId", "product \(product.id) (\(product.name)) is not available")
            items.append(OrderItem(productId: product.id, sku: product.sku, productName: product.name, quantity: item.quantity,
                                   unitPrice: product.unitPrice, subtotal: try product.unitPrice.times(item.quantity)))
        }
        try problems.throwIfInvalid()

        let now = clock.now()
        let new = NewOrder(orderNumber: TimeOrderedID.make(at: now), userId: ownerId,
                           totalAmount: try Money.sum(items.map(\.subtotal)), shippingAddress: address,
                           paymentMethod: request.paymentMethod, items: items, idempotencyKey: idempotencyKey, createdAt: now)
        let first = OrderHistoryEntry(from: nil, to: .created, reason: "order placed", actor: actor.email, at: now)
        let token = request.paymentToken
        let result = try await repository.insert(new, history: first) { order in
            [EventDraft(occurredAt: now, traceId: traceId, payload: .orderCreated(OrderCreated(
                orderId: order.id, orderNumber: order.orderNumber, userId: order.userId, totalAmount: order.totalAmount,
                paymentMethod: order.paymentMethod, paymentToken: token)))]
        }
        if result.created { logger.info("order placed", metadata: ["orderId": "\(result.order.id)", "total": "\(result.order.totalAmount)"]) }
        if !result.created, let key = idempotencyKey, !Self.sameOrder(result.order, items: items, address: address, method: request.paymentMethod) {
            // Answering with the first order would tell the client its new order was placed.
            throw AppError.validation("Idempotency-Key \(key.echoed) was already used for a different order (\(result.order.id)); use a new key for a new order",
                                      field: "Idempotency-Key")
        }
        return result
    }

    /// Whether a replayed request asks for what the order holds: the same products in the same
    /// quantities (however the lines are split), address and payment method. Prices may have
    /// changed since, and the payment token is the payment service's.
    static func sameOrder(_ order: Order, items: [OrderItem], address: String, method: PaymentMethod) -> Bool {
        func quantities(_ items: [OrderItem]) -> [Int64: Int] { items.reduce(into: [:]) { $0[$1.productId, default: 0] += $1.quantity } }
        return quantities(order.orderItems) == quantities(items) && order.shippingAddress == address && order.paymentMethod == method
    }

    // MARK: Reading

    public func order(actor: Actor, id: Int64) async throws -> Order {
        // Someone else's order answers "not found", so ids cannot be probed.
        guard let order = try await repository.order(id: id), actor.mayAccess(ownerId: order.userId) else {
            throw AppError.notFound("order \(id) not found")
        }
        return order
    }

    public func list(actor: Actor, filter: OrderFilter = OrderFilter(), page: PageRequest = PageRequest()) async throws -> Page<Order> {
        var scoped = filter
        if !actor.isAdmin {
            if let asked = filter.userId, asked != actor.userId { throw AppError.forbidden("you can only list your own orders") }
            scoped.userId = actor.userId
        }
        return try await repository.list(scoped, page: page)
    }

    public func history(actor: Actor, orderId: Int64) async throws -> [OrderHistoryEntry] {
        _ = try await order(actor: actor, id: orderId)
        return try await repository.history(orderId: orderId)
    }

    public func countByStatus() async throws -> [OrderStatus: Int] { try await repository.countByStatus() }

    // MARK: Operator actions

    public func cancel(actor: Actor, id: Int64, reason: String? = nil) async throws -> Order {
        let reason = try reason.map(Validator.reason)
        let order = try await order(actor: actor, id: id)
        // The status machine's refusals come from the transition itself (it reads the row it
        // changes); a PAID order's says how to cancel it.
        if order.status == .paid, let refusal = order.status.cancelRefusal {
            throw AppError.conflict("order \(id) is PAID: \(refusal)")
        }
        return try await transition(id: id, to: .cancelled, reason: reason ?? "cancelled by \(actor.email)", actor: actor)
    }

    public func complete(actor: Actor, id: Int64) async throws -> Order {
        guard actor.isAdmin else { throw AppError.forbidden("only an admin can complete an order") }
        _ = try await order(actor: actor, id: id)
        return try await transition(id: id, to: .completed, reason: "completed by \(actor.email)", actor: actor)
    }

    private func transition(id: Int64, to next: OrderStatus, reason: String, actor: Actor) async throws -> Order {
        let now = clock.now()
        let decision = OrderDecision(orderId: id, consumedEvent: nil) { current in
            guard let current else { throw AppError.notFound("order \(id) not found") }
            guard current.status.canMove(to: next) else {
                throw AppError.conflict("order \(id) cannot go from \(current.status.rawValue) to \(next.rawValue)")
            }
            return OrderTransitions.change(current, through: [next], reason: reason, actor: actor.email, at: now)
        }
        let changed = try await repository.apply([decision])
        statusFeed.publish(changed)
        guard let updated = changed.first else { throw AppError.notFound("order \(id) not found") }
        return updated
    }
}
