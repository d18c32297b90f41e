import Foundation
import Logging
import OrderPayCore
import Synchronization

/// Charges orders through a `PaymentProcessor`, never twice, and handles retries, cancellations
/// and refunds.
public final class PaymentService: Sendable {
    public static let consumerGroup = "payment-service"

    let repository: any PaymentRepository
    let processor: any PaymentProcessor
    /// Whose payments may be charged again: a retry's account must be ACTIVE, whoever asks
    /// (`AccountDirectory.requireActive`, the rule a new order meets).
    let accounts: any AccountDirectory
    let clock: any Clock
    let logger: Logger
    /// At most this many processor calls in flight from this instance, as a provider's client
    /// connection pool (and its rate limits) would allow; the rest of a batch waits its turn.
    public let chargeConcurrency: Int
    /// Orders whose payment this instance claimed and has not recorded yet. A redelivered
    /// `order-created` finishes only these: another instance's PROCESSING charge is in flight
    /// there, and charging it here too would double the calls to the provider.
    let unrecordedOrders = Mutex<Set<Int64>>([])
    let recordedCount = Atomic<Int>(0)
    /// How long a claimed charge stays this instance's without a renewal: an instance killed
    /// mid-charge leaves its charges to the others for about this long (`resumeInterruptedCharges`).
    public let claimLease: Duration
    public static let defaultClaimLease: Duration = .seconds(30)
    /// Payments this instance is charging right now, whose claims it renews.
    let chargingNow = Mutex<Set<Int64>>([])
    private let identity = Mutex<String?>(nil)

    public init(repository: any PaymentRepository, processor: any PaymentProcessor, accounts: any AccountDirectory, clock: any Clock,
                chargeConcurrency: Int = 64, claimLease: Duration = PaymentService.defaultClaimLease,
                logger: Logger = Logger(label: "orderpay.payments")) {
        self.repository = repository
        self.processor = processor
        self.accounts = accounts
        self.clock = clock
        self.chargeConcurrency = max(1, chargeConcurrency)
        self.claimLease = claimLease
        self.logger = logger
    }

    /// Names this instance in its claims: an id it keeps across restarts (a server's host and
    /// port), set before it claims anything. Without one, its claims are anonymous and a restart
    /// finds them only once they ran out.
    public func identify(as instance: String) { identity.withLock { $0 = instance } }

    var claimant: String? { identity.withLock { $0 } }

    /// Charge outcomes this instance has recorded since it started.
    public var chargesRecorded: Int { recordedCount.load(ordering: .relaxed) }

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
}
