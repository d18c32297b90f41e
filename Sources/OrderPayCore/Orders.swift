import Foundation

public struct Product: Codable, Equatable, Sendable {
    public var id: Int64
    public var sku: String
    public var name: String
    public var unitPrice: Money
    public var active: Bool

    public init(id: Int64, sku: String, name: String, unitPrice: Money, active: Bool = true) {
        self.id = id; self.sku = sku; self.name = name; self.unitPrice = unitPrice; self.active = active
    }
}

public enum OrderStatus: String, Codable, CaseIterable, Sendable {
    case created = "CREATED", pending = "PENDING", paid = "PAID", completed = "COMPLETED"
    case failed = "FAILED", cancelled = "CANCELLED"

    /// Why a transition happens matters: PAID → CANCELLED is legal only as the result of a refund,
    /// and so is COMPLETED → CANCELLED: a refund asked for while the order was PAID and processed
    /// before the payment service learnt of its completion (which would have withdrawn it). The
    /// money went back, so the order follows it rather than stay COMPLETED.
    public enum Cause: Sendable { case normal, refund }

    public func canMove(to next: OrderStatus, cause: Cause = .normal) -> Bool {
        switch (self, next) {
        case (.created, .pending), (.pending, .paid), (.paid, .completed),
             (.pending, .failed), (.failed, .pending),
             (.created, .cancelled), (.pending, .cancelled), (.failed, .cancelled):
            return true
        case (.paid, .cancelled), (.completed, .cancelled):
            return cause == .refund
        default:
            return false
        }
    }

    public var isTerminalForPayment: Bool { self == .paid || self == .failed || self == .completed || self == .cancelled }
}

public enum PaymentMethod: String, Codable, CaseIterable, Sendable {
    case creditCard = "CREDIT_CARD", debitCard = "DEBIT_CARD", bankTransfer = "BANK_TRANSFER", paypal = "PAYPAL"
}

public struct OrderItem: Codable, Equatable, Sendable {
    public var productId: Int64
    public var sku: String
    public var productName: String
    public var quantity: Int
    public var unitPrice: Money
    public var subtotal: Money

    public init(productId: Int64, sku: String, productName: String, quantity: Int, unitPrice: Money, subtotal: Money) {
        self.productId = productId; self.sku = sku; self.productName = productName
        self.quantity = quantity; self.unitPrice = unitPrice; self.subtotal = subtotal
    }
}

public struct Order: Codable, Equatable, Sendable {
    public var id: Int64
    public var orderNumber: String
    public var userId: Int64
    public var status: OrderStatus
    public var totalAmount: Money
    public var shippingAddress: String
    public var paymentMethod: PaymentMethod
    public var orderItems: [OrderItem]
    public var failureReason: String?
    /// The last payment attempt whose outcome was applied; older outcomes are stale.
    public var paymentAttempt: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: Int64, orderNumber: String, userId: Int64, status: OrderStatus, totalAmount: Money,
                shippingAddress: String, paymentMethod: PaymentMethod, orderItems: [OrderItem],
                failureReason: String? = nil, paymentAttempt: Int = 0, createdAt: Date, updatedAt: Date) {
        self.id = id; self.orderNumber = orderNumber; self.userId = userId; self.status = status
        self.totalAmount = totalAmount; self.shippingAddress = shippingAddress; self.paymentMethod = paymentMethod
        self.orderItems = orderItems; self.failureReason = failureReason; self.paymentAttempt = paymentAttempt
        self.createdAt = createdAt; self.updatedAt = updatedAt
    }
}

public struct OrderHistoryEntry: Codable, Equatable, Sendable {
    public var from: OrderStatus?
    public var to: OrderStatus
    public var reason: String?
    public var actor: String
    public var at: Date

    public init(from: OrderStatus?, to: OrderStatus, reason: String?, actor: String, at: Date) {
        self.from = from; self.to = to; self.reason = reason; self.actor = actor; self.at = at
    }
}

public struct PlaceOrderRequest: Codable, Sendable {
    public struct Item: Codable, Sendable, Hashable {
        public var productId: Int64
        public var quantity: Int
        public init(productId: Int64, quantity: Int) { self.productId = productId; self.quantity = quantity }
    }
    public var items: [Item]
    public var shippingAddress: String
    public var paymentMethod: PaymentMethod
    public var paymentToken: String

    public init(items: [Item], shippingAddress: String, paymentMethod: PaymentMethod = .creditCard, paymentToken: String = "tok_visa") {
        self.items = items; self.shippingAddress = shippingAddress
        self.paymentMethod = paymentMethod; self.paymentToken = paymentToken
    }
}
