import Foundation
import OrderPayCore
import OrderPayEmbedded
import OrderPayServices
import XCTest

/// A payment instance killed mid-charge (kill -9: no stop, no record) leaves its charge to the
/// instances still running, once its claim ran out; none has to start for it.
final class KafkaChargeTakeOverTests: XCTestCase {
    func testASurvivingInstanceFinishesTheChargeOfOneThatDied() async throws {
        let kafka = try await KafkaTestSystems.make()
        defer { kafka.remove() }
        let front = try await kafka.start([.orders, .auth])
        var survivorConfiguration = kafka.configuration([.payments])
        survivorConfiguration.paymentClaimLease = .seconds(2)
        let survivor = try await EmbeddedSystem.start(survivorConfiguration, logger: KafkaTestSystems.quietLogger())
        let (customer, product) = try await kafka.customer(on: front)

        // The order-created waits in the outbox while the doomed instance claims its charge and dies.
        kafka.cluster.setBrokers(up: false)
        let placed = try await front.orders.place(actor: customer, kafka.order(product))
        try await claimThenDie(placed, kafka, claimedFor: 1)
        // The survivor gets the event, finds the charge claimed and leaves it: only the take-over finishes it.
        kafka.cluster.setBrokers(up: true)

        let settled = try await front.waitForOrder(id: placed.id, actor: kafka.admin, timeout: .seconds(30))
        XCTAssertEqual(settled.status, .paid)
        let payment = try await survivor.payments.payment(actor: kafka.admin, orderId: placed.id)
        XCTAssertEqual(payment.status, .success)
        XCTAssertEqual(payment.attempts, 1)
        for system in [survivor, front] { await system.stop() }
    }

    /// An instance killed mid-charge and started again under its id (a server's host and port)
    /// takes its charges back at start, however long their claims still had to run.
    func testARestartedInstanceTakesItsOwnChargeBackAtOnce() async throws {
        let kafka = try await KafkaTestSystems.make()
        defer { kafka.remove() }
        let front = try await kafka.start([.orders, .auth])
        let (customer, product) = try await kafka.customer(on: front)
        kafka.cluster.setBrokers(up: false)
        let placed = try await front.orders.place(actor: customer, kafka.order(product))
        try await claimThenDie(placed, kafka, claimedFor: 3600, claimant: "127.0.0.1:8083")
        kafka.cluster.setBrokers(up: true)

        var configuration = kafka.configuration([.payments])
        configuration.instanceId = "127.0.0.1:8083"
        let restarted = try await EmbeddedSystem.start(configuration, logger: KafkaTestSystems.quietLogger())
        let settled = try await front.waitForOrder(id: placed.id, actor: kafka.admin, timeout: .seconds(30))
        XCTAssertEqual(settled.status, .paid)
        let payment = try await restarted.payments.payment(actor: kafka.admin, orderId: placed.id)
        XCTAssertEqual(payment.attempts, 1)
        XCTAssertEqual(restarted.payments.chargesRecorded, 1)
        for system in [restarted, front] { await system.stop() }
    }

    /// What an instance killed mid-charge leaves: the order's charge claimed (PROCESSING) for
    /// `seconds`, no outcome.
    private func claimThenDie(_ placed: Order, _ kafka: KafkaTestSystems, claimedFor seconds: TimeInterval,
                              claimant: String? = nil) async throws {
        let stores = try await ServiceStores.open(kafka.configuration([.payments]), logger: KafkaTestSystems.quietLogger())
        defer { stores.close() }
        let now = Date()
        let order = OrderCreated(orderId: placed.id, orderNumber: placed.orderNumber, userId: placed.userId,
                                 totalAmount: placed.totalAmount, paymentMethod: placed.paymentMethod, paymentToken: "tok_visa")
        let claim = PaymentClaim(eventId: "killed-\(placed.id)", order: order, at: now, claimedUntil: now.addingTimeInterval(seconds),
                                 claimant: claimant)
        let claimed = try await stores.payments.claim([claim], group: PaymentService.consumerGroup)
        XCTAssertEqual(claimed.map(\.payment.status), [.processing])
    }

    /// A charge with the provider for longer than its lease stays with its instance (renewed),
    /// however often the others sweep: one call to the provider.
    func testALiveInstanceKeepsItsSlowCharge() async throws {
        let kafka = try await KafkaTestSystems.make()
        defer { kafka.remove() }
        let front = try await kafka.start([.orders, .auth])
        var slow = kafka.configuration([.payments], latency: .seconds(5))
        slow.paymentClaimLease = .milliseconds(1500)
        let charging = try await EmbeddedSystem.start(slow, logger: KafkaTestSystems.quietLogger())
        let (customer, product) = try await kafka.customer(on: front)
        let placed = try await front.orders.place(actor: customer, kafka.order(product))
        // Wait for the claim, then start a sweeping instance whose provider would answer at once.
        let deadline = ContinuousClock.now + .seconds(20)
        while (try? await charging.payments.payment(actor: kafka.admin, orderId: placed.id)) == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        var quick = kafka.configuration([.payments])
        quick.paymentClaimLease = .milliseconds(1500)
        let sweeper = try await EmbeddedSystem.start(quick, logger: KafkaTestSystems.quietLogger())

        let settled = try await front.waitForOrder(id: placed.id, actor: kafka.admin, timeout: .seconds(30))
        XCTAssertEqual(settled.status, .paid)
        XCTAssertEqual(sweeper.payments.chargesRecorded, 0, "the sweeping instance took a live instance's charge")
        XCTAssertEqual(charging.payments.chargesRecorded, 1)
        for system in [sweeper, charging, front] { await system.stop() }
    }
}
