import Foundation
import Logging
import OrderPayCore

/// Charges orders through a `PaymentProcessor`, never twice, and handles retries, cancellations
/// and refunds.
public final class PaymentService: Sendable {
    public static let consumerGroup = "payment-service"

    let repository: any PaymentRepository
    let processor: any PaymentProcessor
    let clock: any Clock
    let logger: Logger

    public init(repository: any PaymentRepository, processor: any PaymentProcessor, clock: any Clock,
                logger: Logger = Logger(label: "orderpay.payments")) {
        self.repository = repository
        self.processor = processor
        self.clock = clock
        self.logger = logger
    }

    // MARK: Reading

    public func payment(actor: Actor, id: Int64) async throws -> Payment {
        try await accessibleRecord(actor: actor, id: id).payment
    }

    public func payment(actor: Actor, orderId: Int64) async throws -> Payment {
        guard let record = try await repository.record(orderId: orderId), actor.mayAccess(ownerId: record.payment.userId) else {
            throw AppError.notFound("no payment for order \(orderId)")
        }
        return record.payment
    }

    public func list(actor: Actor, filter: PaymentFilter = PaymentFilter(), page: PageRequest = PageRequest()) async throws -> Page<Payment> {
        var scoped = filter
        if !actor.isAdmin {
            if let asked = filter.userId, asked != actor.userId { throw AppError.forbidden("you can only list your own payments") }
            scoped.userId = actor.userId
        }
        return try await repository.list(scoped, page: page)
    }

    public func history(actor: Actor, paymentId: Int64) async throws -> [PaymentHistoryEntry] {
        _ = try await accessibleRecord(actor: actor, id: paymentId)
        return try await repository.history(paymentId: paymentId)
    }

    public func countByStatus() async throws -> [PaymentStatus: Int] { try await repository.countByStatus() }

    func accessibleRecord(actor: Actor, id: Int64) async throws -> PaymentRecord {
        guard let record = try await repository.record(id: id), actor.mayAccess(ownerId: record.payment.userId) else {
            throw AppError.notFound("payment \(id) not found")
        }
        return record
    }

    // MARK: Charging

    /// Handles a batch of `order-created` events (group `payment-service`): claims a payment per new
    /// order, charges them concurrently, and records each outcome with its `payment-processed` event.
    public func handleOrderCreated(_ events: [EventEnvelope]) async throws {
        let now = clock.now()
        let claims: [PaymentClaim] = events.compactMap { envelope in
            guard case .orderCreated(let order) = envelope.payload else { return nil }
            return PaymentClaim(eventId: envelope.eventId, order: order, at: now)
        }
        guard !claims.isEmpty else { return }
        let traceIds = Dictionary(events.map { ($0.payload.orderId, $0.traceId) }, uniquingKeysWith: { first, _ in first })
        let claimed = try await repository.claim(claims, group: Self.consumerGroup)
        try await chargeAndRecord(claimed + (try await unfinishedCharges(among: claims, claimed: claimed)),
                                  actor: "payment-service", traceIds: traceIds)
    }

    /// Redelivered `order-created` events whose payment is still PROCESSING: the first delivery
    /// claimed it but failed before recording the charge's outcome (a network database that
    /// dropped the connection, say), and the redelivery is what finishes it. Charging again is
    /// safe: the processor's idempotency key (payment and attempt) gives the same single charge.
    func unfinishedCharges(among claims: [PaymentClaim], claimed: [PaymentRecord]) async throws -> [PaymentRecord] {
        let claimedOrders = Set(claimed.map(\.payment.orderId))
        var unfinished: [PaymentRecord] = []
        for claim in claims where !claimedOrders.contains(claim.order.orderId) {
            if let record = try await repository.record(orderId: claim.order.orderId), record.payment.status == .processing {
                unfinished.append(record)
            }
        }
        return unfinished
    }

    /// Finishes charges a stopped process left PROCESSING. The processor's idempotency key makes
    /// the repeated request safe.
    public func resumeInterruptedCharges() async throws {
        let stuck = try await repository.processing()
        if !stuck.isEmpty { logger.info("resuming interrupted charges", metadata: ["count": "\(stuck.count)"]) }
        try await chargeAndRecord(stuck, actor: "payment-service", traceIds: [:])
    }

    func chargeAndRecord(_ records: [PaymentRecord], actor: String, traceIds: [Int64: String?]) async throws {
        guard !records.isEmpty else { return }
        let processor = self.processor
        let results: [(PaymentRecord, ChargeResult)] = await withTaskGroup(of: (PaymentRecord, ChargeResult).self) { group in
            for record in records {
                group.addTask {
                    let payment = record.payment
                    let request = ChargeRequest(idempotencyKey: "payment-\(payment.id)-attempt-\(payment.attempts)",
                                                amount: payment.amount, paymentMethod: payment.paymentMethod,
                                                token: record.paymentToken, attempt: payment.attempts)
                    return (record, await processor.charge(request))
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let now = clock.now()
        let decisions = results.map { claimed, result in
            let traceId = traceIds[claimed.payment.orderId] ?? nil
            return PaymentDecision(key: .payment(claimed.payment.id), consumedEvent: nil) { current in
                guard let current, current.payment.status == .processing, current.payment.attempts == claimed.payment.attempts else {
                    return nil   // already recorded by another run of this attempt
                }
                return PaymentRules.recordOutcome(current, result, actor: actor, at: now, traceId: traceId)
            }
        }
        let recorded = try await repository.apply(decisions)
        for record in recorded {
            logger.info("payment processed", metadata: ["paymentId": "\(record.payment.id)", "orderId": "\(record.payment.orderId)",
                                                        "status": "\(record.payment.status.rawValue)"])
        }
    }
}
