import Foundation
import OrderPayCore

public struct PaymentFilter: Sendable, Equatable {
    public var userId: Int64?
    public var status: PaymentStatus?
    public init(userId: Int64? = nil, status: PaymentStatus? = nil) { self.userId = userId; self.status = status }
}

/// A payment as the service works on it: the row plus what only the service may see.
public struct PaymentRecord: Sendable, Equatable {
    public var payment: Payment
    /// The provider token to charge (a token, never card data).
    public var paymentToken: String
    /// The order's status as the payment service last recorded it: CREATED at the claim, then
    /// COMPLETED or CANCELLED from `order-status-updated` (PAID is not followed: a SUCCESS payment
    /// implies it). A COMPLETED or CANCELLED order is not refundable.
    public var orderStatus: OrderStatus

    public init(payment: Payment, paymentToken: String, orderStatus: OrderStatus) {
        self.payment = payment; self.paymentToken = paymentToken; self.orderStatus = orderStatus
    }
}

public struct PaymentChange: Sendable {
    public var record: PaymentRecord
    public var history: [PaymentHistoryEntry]
    public var events: [EventDraft]

    public init(record: PaymentRecord, history: [PaymentHistoryEntry], events: [EventDraft]) {
        self.record = record; self.history = history; self.events = events
    }
}

/// A first charge for an order, claimed from `order-created` before the processor is called.
public struct PaymentClaim: Sendable {
    public var eventId: String
    public var order: OrderCreated
    public var at: Date
    /// Until when the claiming instance holds the charge unless it renews it
    /// (`PaymentRepository.renewClaims`); past it, another instance may take the charge over.
    public var claimedUntil: Date
    /// The claiming instance's id, stable across its restarts (host and port), so that after a
    /// crash it takes its own charges back at once rather than when their claims ran out.
    public var claimant: String?

    public init(eventId: String, order: OrderCreated, at: Date, claimedUntil: Date? = nil, claimant: String? = nil) {
        self.eventId = eventId; self.order = order; self.at = at
        self.claimedUntil = claimedUntil ?? at.addingTimeInterval(PaymentService.defaultClaimLease.seconds)
        self.claimant = claimant
    }
}

public struct PaymentDecision: Sendable {
    public var key: Key
    public var consumedEvent: (id: String, group: String)?
    public var decide: @Sendable (PaymentRecord?) throws -> PaymentChange?

    public enum Key: Sendable { case payment(Int64), order(Int64) }

    public init(key: Key, consumedEvent: (id: String, group: String)?, decide: @escaping @Sendable (PaymentRecord?) throws -> PaymentChange?) {
        self.key = key; self.consumedEvent = consumedEvent; self.decide = decide
    }
}

public protocol PaymentRepository: Sendable {
    /// In one transaction, inserts a PROCESSING payment for each claim whose order has no payment
    /// yet and was not cancelled (a unique constraint on the order keeps it one per order).
    /// Returns the records claimed now; redelivered events claim nothing, since their order's
    /// payment exists. A store may also skip event ids `group` consumed before (an inbox).
    func claim(_ claims: [PaymentClaim], group: String) async throws -> [PaymentRecord]

    /// Applies decisions in one transaction; returns the records that changed.
    func apply(_ decisions: [PaymentDecision]) async throws -> [PaymentRecord]

    func record(id: Int64) async throws -> PaymentRecord?
    func record(orderId: Int64) async throws -> PaymentRecord?
    func list(_ filter: PaymentFilter, page: PageRequest) async throws -> Page<Payment>
    func history(paymentId: Int64) async throws -> [PaymentHistoryEntry]
    func countByStatus() async throws -> [PaymentStatus: Int]
    /// Keeps the claims on these payments (charges in flight in this instance, `claimant`) until
    /// `until`; payments no longer PROCESSING are left alone.
    func renewClaims(paymentIds: [Int64], until: Date, claimant: String?) async throws
    /// PROCESSING payments whose claim ran out before `now` (the instance charging them died or
    /// stopped mid-charge, or left them before claims had an expiry), and, with `previousSelf`,
    /// those claimed by that instance id (the caller before a restart: nothing charges them any
    /// more), now claimed by `claimant` until `until`. Atomic: two instances sweeping at once
    /// never get the same payment.
    func takeOverClaims(expiredBefore now: Date, orClaimedBy previousSelf: String?, claimant: String?,
                        until: Date) async throws -> [PaymentRecord]

    /// Remembers orders cancelled before their payment was claimed, so a late `order-created`
    /// claims (and charges) nothing for them.
    func rememberCancelledOrders(_ orderIds: [Int64]) async throws
}
