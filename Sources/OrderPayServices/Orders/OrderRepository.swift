import Foundation
import OrderPayCore

public struct NewOrder: Sendable {
    public var orderNumber: String
    public var userId: Int64
    public var totalAmount: Money
    public var shippingAddress: String
    public var paymentMethod: PaymentMethod
    public var items: [OrderItem]
    public var idempotencyKey: String?
    public var createdAt: Date

    public init(orderNumber: String, userId: Int64, totalAmount: Money, shippingAddress: String, paymentMethod: PaymentMethod,
                items: [OrderItem], idempotencyKey: String?, createdAt: Date) {
        self.orderNumber = orderNumber; self.userId = userId; self.totalAmount = totalAmount; self.shippingAddress = shippingAddress
        self.paymentMethod = paymentMethod; self.items = items; self.idempotencyKey = idempotencyKey; self.createdAt = createdAt
    }
}

public struct OrderFilter: Sendable, Equatable {
    public var userId: Int64?
    public var status: OrderStatus?
    public init(userId: Int64? = nil, status: OrderStatus? = nil) { self.userId = userId; self.status = status }
}

/// What a decision about an order writes, in one transaction: the new row, its history, its events.
public struct OrderChange: Sendable {
    public var order: Order
    public var history: [OrderHistoryEntry]
    public var events: [EventDraft]

    public init(order: Order, history: [OrderHistoryEntry], events: [EventDraft]) {
        self.order = order; self.history = history; self.events = events
    }
}

/// One decision to take inside a repository transaction. `decide` is pure: it sees the current
/// order (nil if missing) and returns the change, or nil to write nothing.
public struct OrderDecision: Sendable {
    public var orderId: Int64
    /// The consumed event, recorded in the same transaction; a redelivered one is skipped.
    public var consumedEvent: (id: String, group: String)?
    public var decide: @Sendable (Order?) throws -> OrderChange?

    public init(orderId: Int64, consumedEvent: (id: String, group: String)?, decide: @escaping @Sendable (Order?) throws -> OrderChange?) {
        self.orderId = orderId; self.consumedEvent = consumedEvent; self.decide = decide
    }
}

public protocol OrderRepository: Sendable {
    func insertProduct(sku: String, name: String, unitPrice: Money, active: Bool) async throws -> Product
    func updateProduct(_ product: Product) async throws -> Product
    func products(ids: [Int64]) async throws -> [Int64: Product]
    func listProducts(includeInactive: Bool) async throws -> [Product]

    /// Inserts the order, its items, its first history row and the events `events(order)` returns,
    /// in one transaction. With an idempotency key already used by this user, returns that order
    /// instead and `created` is false.
    func insert(_ order: NewOrder, history: OrderHistoryEntry,
                events: @escaping @Sendable (Order) throws -> [EventDraft]) async throws -> (order: Order, created: Bool)

    func order(id: Int64) async throws -> Order?
    /// The user's order placed with this idempotency key, if any.
    func order(userId: Int64, idempotencyKey: String) async throws -> Order?
    func list(_ filter: OrderFilter, page: PageRequest) async throws -> Page<Order>
    func history(orderId: Int64) async throws -> [OrderHistoryEntry]
    func countByStatus() async throws -> [OrderStatus: Int]

    /// Applies decisions in one transaction, each against the order as it is then; returns the
    /// orders that changed, with their items unless `returningItems` is false (an event handler
    /// that returns nothing need not read them). A thrown decision aborts the whole batch.
    func apply(_ decisions: [OrderDecision], returningItems: Bool) async throws -> [Order]
}

public extension OrderRepository {
    func apply(_ decisions: [OrderDecision]) async throws -> [Order] { try await apply(decisions, returningItems: true) }
}
