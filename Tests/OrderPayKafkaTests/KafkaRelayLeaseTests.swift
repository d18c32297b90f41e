import Foundation
import OrderPayCore
import OrderPayEmbedded
import OrderPayServices
import OrderPayStore
import XCTest

/// Several instances of a service share one outbox (one database): one relay at a time publishes it.
final class KafkaRelayLeaseTests: XCTestCase {
    /// Two order-service and two payment-service instances on one database: every event reaches
    /// its topic once. The outage makes both relays of each outbox find the same rows waiting.
    func testInstancesSharingADatabasePublishEachEventOnce() async throws {
        let kafka = try await KafkaTestSystems.make()
        defer { kafka.remove() }
        let front = try await kafka.start()
        let second = try await kafka.start([.orders, .payments])
        let (customer, product) = try await kafka.customer(on: front)

        kafka.cluster.setBrokers(up: false)
        var ids: [Int64] = []
        for _ in 0..<10 { ids.append(try await front.orders.place(actor: customer, kafka.order(product)).id) }
        // Long enough for either relay to have read the rows (they poll the outbox every second at most).
        try await Task.sleep(for: .seconds(2))
        kafka.cluster.setBrokers(up: true)
        for id in ids {
            let order = try await front.waitForOrder(id: id, actor: kafka.admin, timeout: .seconds(45))
            XCTAssertEqual(order.status, .paid, "order \(id)")
        }
        for system in [front, second] {
            let drained = await system.drain(timeout: .seconds(30))
            XCTAssertTrue(drained)
        }
        let created = try await front.events.endOffset(topic: .orderCreated)
        let processed = try await front.events.endOffset(topic: .paymentProcessed)
        XCTAssertEqual(created, Int64(ids.count), "order-created messages on the topic")
        XCTAssertEqual(processed, Int64(ids.count), "payment-processed messages on the topic")
        for system in [second, front] { await system.stop() }
    }

    /// Relays that look at their outbox only when told (an hour between timed looks and lease
    /// renewals): the events of the instance without the lease still go out, since it nudges the holder.
    func testTheInstanceWithoutTheLeaseNudgesTheHolder() async throws {
        let kafka = try await KafkaTestSystems.make()
        defer { kafka.remove() }
        func start(_ services: Set<ServiceKind>) async throws -> EmbeddedSystem {
            var configuration = kafka.configuration(services)
            configuration.kafkaRelayPoll = .seconds(3600)
            configuration.kafkaRelayLease = .seconds(3 * 3600)
            return try await EmbeddedSystem.start(configuration, logger: KafkaTestSystems.quietLogger())
        }
        let front = try await start(Set(ServiceKind.allCases))
        let second = try await start([.orders, .payments])
        let (customer, product) = try await kafka.customer(on: front)
        // Placed on both: one of them does not hold the orders outbox's lease. Their payments are
        // taken by both payment instances (the topic's partitions split between them).
        var ids: [Int64] = []
        for system in [front, second] {
            for _ in 0..<4 { ids.append(try await system.orders.place(actor: customer, kafka.order(product)).id) }
        }
        for id in ids {
            let order = try await front.waitForOrder(id: id, actor: kafka.admin, timeout: .seconds(45))
            XCTAssertEqual(order.status, .paid, "order \(id)")
        }
        for system in [second, front] { await system.stop() }
    }

    /// A relay that died holding the lease keeps the others out only until its lease ran out.
    func testALeaseThatRanOutGoesToAnotherRelay() async throws {
        let kafka = try await KafkaTestSystems.make()
        defer { kafka.remove() }
        try DataDirectory.create(kafka.directory)
        let stores = try await ServiceStores.open(kafka.configuration(Set(ServiceKind.allCases)), logger: KafkaTestSystems.quietLogger())
        defer { stores.close() }
        for source in [stores.orders as any OutboxSource, stores.payments] {
            var held = try await source.holdRelayLease(owner: "dead", for: .milliseconds(600))
            XCTAssertTrue(held, source.name)
            held = try await source.holdRelayLease(owner: "alive", for: .seconds(10))
            XCTAssertFalse(held, "\(source.name): taken while its owner's lease runs")
            held = try await source.holdRelayLease(owner: "dead", for: .milliseconds(600))
            XCTAssertTrue(held, "\(source.name): its owner renews it")
            try await Task.sleep(for: .seconds(1))
            held = try await source.holdRelayLease(owner: "alive", for: .seconds(10))
            XCTAssertTrue(held, "\(source.name): taken over once it ran out")
            held = try await source.holdRelayLease(owner: "dead", for: .seconds(10))
            XCTAssertFalse(held, "\(source.name): the old owner does not get it back")
            try await source.releaseRelayLease(owner: "alive")
            held = try await source.holdRelayLease(owner: "next", for: .seconds(10))
            XCTAssertTrue(held, "\(source.name): free once released")
        }
    }

    /// Events wait while a relay that is gone still holds the lease, then go out: none is lost.
    func testARunningInstanceTakesOverFromARelayThatDied() async throws {
        let kafka = try await KafkaTestSystems.make()
        defer { kafka.remove() }
        try DataDirectory.create(kafka.directory)
        let stores = try await ServiceStores.open(kafka.configuration(Set(ServiceKind.allCases)), logger: KafkaTestSystems.quietLogger())
        for source in [stores.orders as any OutboxSource, stores.payments] {
            let held = try await source.holdRelayLease(owner: "killed-instance", for: .seconds(3))
            XCTAssertTrue(held)
        }
        stores.close()
        let system = try await kafka.start()
        let (customer, product) = try await kafka.customer(on: system)
        let placed = try await system.orders.place(actor: customer, kafka.order(product))
        let settled = try await system.waitForOrder(id: placed.id, actor: kafka.admin, timeout: .seconds(45))
        XCTAssertEqual(settled.status, .paid)
        await system.stop()
    }
}
