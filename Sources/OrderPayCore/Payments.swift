import Foundation

public enum PaymentStatus: String, Codable, CaseIterable, Sendable {
    case pending = "PENDING", processing = "PROCESSING", success = "SUCCESS", failed = "FAILED"
    case cancelled = "CANCELLED", refundPending = "REFUND_PENDING", refunded = "REFUNDED"
}

public struct Payment: Codable, Equatable, Sendable {
    public var id: Int64
    public var orderId: Int64
    public var userId: Int64
    public var amount: Money
    public var status: PaymentStatus
    public var paymentMethod: PaymentMethod
    public var attempts: Int
    public var failureReason: String?
    public var transactionId: String?
    public var refundReason: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: Int64, orderId: Int64, userId: Int64, amount: Money, status: PaymentStatus,
                paymentMethod: PaymentMethod, attempts: Int, failureReason: String? = nil,
                transactionId: String? = nil, refundReason: String? = nil, createdAt: Date, updatedAt: Date) {
        self.id = id; self.orderId = orderId; self.userId = userId; self.amount = amount; self.status = status
        self.paymentMethod = paymentMethod; self.attempts = attempts; self.failureReason = failureReason
        self.transactionId = transactionId; self.refundReason = refundReason
        self.createdAt = createdAt; self.updatedAt = updatedAt
    }
}

public struct PaymentHistoryEntry: Codable, Equatable, Sendable {
    public var from: PaymentStatus?
    public var to: PaymentStatus
    public var attempt: Int
    public var reason: String?
    public var actor: String
    public var at: Date

    public init(from: PaymentStatus?, to: PaymentStatus, attempt: Int, reason: String?, actor: String, at: Date) {
        self.from = from; self.to = to; self.attempt = attempt; self.reason = reason; self.actor = actor; self.at = at
    }
}
