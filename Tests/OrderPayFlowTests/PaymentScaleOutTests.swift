import Foundation
import OrderPayCore
import OrderPayEmbedded
import OrderPayServices
import Synchronization
import XCTest

/// A provider stand-in that answers like the simulated one after `latency`, and remembers every
/// call: how many were in flight at once, and how often each idempotency key was charged.
final class RecordingProcessor: PaymentProcessor {
    let latency: Duration
    private let state = Mutex<(inFlight: Int, maxInFlight: Int, calls: [String: Int])>((0, 0, [:]))

    init(latency: Duration) { self.latency = latency }

    var maxInFlight: Int { state.withLock { $0.maxInFlight } }
    var calls: [String: Int] { state.withLock { $0.calls } }

    func charge(_ request: ChargeRequest) async -> ChargeResult {
        state.withLock {
            $0.inFlight += 1
            $0.maxInFlight = max($0.maxInFlight, $0.inFlight)
            $0.calls[request.idempotencyKey, default: 0] += 1
        }
        try? await Task.sleep(for: latency)
        state.withLock { $0.inFlight -= 1 }
        return await SimulatedPaymentProcessor().charge(request)
    }
}

final class PaymentScaleOutTests: XCTestCase {
    func testAnInstanceKeepsAtMostItsChargeConcurrencyWithTheProvider() async throws {
        let processor = RecordingProcessor(latency: .milliseconds(20))
        let (base, configuration) = try await setUp(processor, chargeConcurrency: 3)
        let system = try await EmbeddedSystem.start(configuration, logger: TestSystem.quietLogger())
        defer { try? FileManager.default.removeItem(atPath: base.directory) }

        let placed = try await placeConcurrently(20, on: system, base: base)
        for order in placed {
            let settled = try await system.waitForOrder(id: order.id, actor: base.admin)
            XCTAssertEqual(settled.status, .paid)
        }
        await system.stop()
        XCTAssertLessThanOrEqual(processor.maxInFlight, 3)
        XCTAssertEqual(processor.calls.count, 20)
    }

    /// Two payment-service instances on the same storage and events, a slow provider: both take a
    /// share of the charges, and neither calls the provider for a charge the other has in flight
    /// (a redelivered or shared `order-created` must not re-send another instance's PROCESSING charge).
    func testTwoInstancesShareTheChargesAndNeitherRepeatsTheOthers() async throws {
        let processor = RecordingProcessor(latency: .milliseconds(15))
        let (base, configuration) = try await setUp(processor, chargeConcurrency: 2)
        let first = try await EmbeddedSystem.start(configuration, logger: TestSystem.quietLogger())
        var second = configuration
        second.services = [.payments]
        second.instanceId = "payments-2"
        let other = try await EmbeddedSystem.start(second, logger: TestSystem.quietLogger())
        defer { try? FileManager.default.removeItem(atPath: base.directory) }

        var orders: [Order] = []
        for _ in 0..<4 { orders += try await placeConcurrently(10, on: first, base: base) }
        for order in orders {
            let settled = try await first.waitForOrder(id: order.id, actor: base.admin)
            XCTAssertEqual(settled.status, .paid)
        }
        let split = [first.payments.chargesRecorded, other.payments.chargesRecorded]
        await other.stop()
        await first.stop()
        XCTAssertEqual(split.reduce(0, +), 40)
        XCTAssertGreaterThan(split[1], 0, "the second instance took no charge: \(split)")
        XCTAssertEqual(processor.calls.count, 40)
        XCTAssertEqual(processor.calls.values.filter { $0 > 1 }.count, 0, "charges sent twice: \(processor.calls.filter { $0.value > 1 })")
    }

    /// A seeded data dir (its set-up system stopped) and a configuration on it with `processor`.
    private func setUp(_ processor: RecordingProcessor, chargeConcurrency: Int) async throws -> (TestSystem, EmbeddedConfiguration) {
        let base = try await TestSystem.make(workers: false)
        await base.system.stop()
        var configuration = base.configuration()
        configuration.processor = processor
        configuration.chargeConcurrency = chargeConcurrency
        return (base, configuration)
    }

    private func placeConcurrently(_ count: Int, on system: EmbeddedSystem, base: TestSystem) async throws -> [Order] {
        try await withThrowingTaskGroup(of: Order.self) { group in
            for _ in 0..<count { group.addTask { try await system.orders.place(actor: base.customerActor, base.order()) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }
}
