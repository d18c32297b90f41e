import Foundation
@testable import OrderPayKafka
import OrderPayCore
import OrderPayEmbedded
import OrderPayServices
import XCTest

/// The order → payment → PAID flow with Kafka as the transport, against librdkafka's mock cluster.
/// No assertion depends on timing: every wait is "until this holds", with a generous deadline.
final class KafkaFlowTests: XCTestCase {
    func testOrderReachesPaidThroughKafka() async throws {
        let kafka = try await KafkaTestSystems.make()
        defer { kafka.remove() }
        let system = try await kafka.start()
        let (customer, product) = try await kafka.customer(on: system)

        let placed = try await system.orders.place(actor: customer, kafka.order(product))
        let settled = try await system.waitForOrder(id: placed.id, actor: kafka.admin, timeout: .seconds(30))
        XCTAssertEqual(settled.status, .paid)
        let payment = try await system.payments.payment(actor: kafka.admin, orderId: placed.id)
        XCTAssertEqual(payment.status, .success)
        XCTAssertEqual(payment.attempts, 1)
        let drained = await system.drain(timeout: .seconds(30))
        XCTAssertTrue(drained, "the flow should come to rest")

        // The readers' log (console, `events tail`, /api/events) sees the order's events from Kafka.
        let events = try await waitForEvents(system, orderId: placed.id, count: 3)
        XCTAssertEqual(Set(events.map(\.envelope.topic)), [.orderCreated, .paymentProcessed, .orderStatusUpdated])
        let end = try await system.events.endOffset(topic: .orderCreated)
        XCTAssertEqual(end, 1)
        let lag = try await system.events.lag(group: PaymentService.consumerGroup, topic: .orderCreated)
        XCTAssertEqual(lag, 0)
        await system.stop()
    }

    func testTwoPaymentInstancesInOneGroupChargeEveryOrderOnce() async throws {
        let kafka = try await KafkaTestSystems.make()
        defer { kafka.remove() }
        let front = try await kafka.start([.orders, .auth])
        let first = try await kafka.start([.payments])
        let second = try await kafka.start([.payments])
        let (customer, product) = try await kafka.customer(on: front)

        var ids: [Int64] = []
        for _ in 0..<30 { ids.append(try await front.orders.place(actor: customer, kafka.order(product)).id) }
        for id in ids {
            let order = try await front.waitForOrder(id: id, actor: kafka.admin, timeout: .seconds(45))
            XCTAssertEqual(order.status, .paid, "order \(id)")
        }
        try await assertChargedOnce(ids, kafka: kafka, on: first)
        for system in [second, first, front] { await system.stop() }
    }

    func testStoppedPaymentInstanceHandsItsPartitionsOver() async throws {
        let kafka = try await KafkaTestSystems.make()
        defer { kafka.remove() }
        let front = try await kafka.start([.orders, .auth])
        let doomed = try await kafka.start([.payments], latency: .milliseconds(20))
        let survivor = try await kafka.start([.payments], latency: .milliseconds(20))
        let (customer, product) = try await kafka.customer(on: front)

        var ids: [Int64] = []
        for _ in 0..<20 { ids.append(try await front.orders.place(actor: customer, kafka.order(product)).id) }
        // Killed while events flow: no drain, its in-hand batch stays uncommitted.
        await doomed.stop(drainFor: .zero)
        // Only the survivor is left to charge these: they prove it took every partition over.
        for _ in 0..<20 { ids.append(try await front.orders.place(actor: customer, kafka.order(product)).id) }
        for id in ids {
            let order = try await front.waitForOrder(id: id, actor: kafka.admin, timeout: .seconds(45))
            XCTAssertEqual(order.status, .paid, "order \(id)")
        }
        try await assertChargedOnce(ids, kafka: kafka, on: survivor)
        for system in [survivor, front] { await system.stop() }
    }

    func testOutboxRelaySurvivesABrokerOutage() async throws {
        let kafka = try await KafkaTestSystems.make()
        defer { kafka.remove() }
        let system = try await kafka.start()
        let (customer, product) = try await kafka.customer(on: system)
        let warmUp = try await system.orders.place(actor: customer, kafka.order(product))
        _ = try await system.waitForOrder(id: warmUp.id, actor: kafka.admin, timeout: .seconds(30))

        kafka.cluster.setBrokers(up: false)
        var ids: [Int64] = []
        for _ in 0..<5 { ids.append(try await system.orders.place(actor: customer, kafka.order(product)).id) }
        // Committed to the outbox, but no broker can carry them: nothing can have been paid.
        for id in ids {
            let order = try await system.orders.order(actor: kafka.admin, id: id)
            XCTAssertNotEqual(order.status, .paid)
        }
        let idleDuringOutage = try await system.isIdle()
        XCTAssertFalse(idleDuringOutage, "undelivered outbox events keep the relay busy")

        kafka.cluster.setBrokers(up: true)
        for id in ids {
            let order = try await system.waitForOrder(id: id, actor: kafka.admin, timeout: .seconds(45))
            XCTAssertEqual(order.status, .paid, "order \(id)")
        }
        try await assertChargedOnce([warmUp.id] + ids, kafka: kafka, on: system)
        await system.stop()
    }

    /// Stopping closes every Kafka handle (consumers leave, the producer flushes) even with every
    /// broker down: outbox rows not yet delivered stay for the next start.
    func testStopDuringABrokerOutageDoesNotHang() async throws {
        let kafka = try await KafkaTestSystems.make()
        defer { kafka.remove() }
        let system = try await kafka.start()
        let (customer, product) = try await kafka.customer(on: system)
        let first = try await system.orders.place(actor: customer, kafka.order(product))
        _ = try await system.waitForOrder(id: first.id, actor: kafka.admin, timeout: .seconds(30))
        kafka.cluster.setBrokers(up: false)
        let stranded = try await system.orders.place(actor: customer, kafka.order(product))
        // Let the relay pick the event up and wait on its delivery (a relay that deleted rows
        // before delivery would lose it here); the assertion below holds however long this takes.
        try await Task.sleep(for: .milliseconds(500))
        await system.stop(drainFor: .zero)

        // The undelivered event is still in the outbox, for the next start to publish.
        let stores = try await ServiceStores.open(kafka.configuration(Set(ServiceKind.allCases)), logger: KafkaTestSystems.quietLogger())
        defer { stores.close() }
        let pending = try await stores.orders.pendingEvents(after: 0, limit: 100).map(\.event)
        XCTAssertTrue(pending.contains { $0.topic == .orderCreated && $0.key == String(stranded.id) }, "\(pending)")
        kafka.cluster.setBrokers(up: true)
    }

    func testUnreachableBrokersFailStartUpClearly() async throws {
        var configuration = EmbeddedConfiguration(dataDirectory: FileManager.default.temporaryDirectory
            .appendingPathComponent("orderpay-kafka-\(UUID().uuidString)").path)
        configuration.jwtSecret = "test-secret-test-secret-test-secret-0123456789"
        configuration.kafka = "127.0.0.1:1"
        defer { try? FileManager.default.removeItem(atPath: configuration.dataDirectory) }
        do {
            _ = try await EmbeddedSystem.start(configuration, logger: KafkaTestSystems.quietLogger())
            XCTFail("start-up should fail without a broker")
        } catch let error as AppError {
            XCTAssertEqual(error.kind, .unavailable)
            XCTAssertTrue("\(error)".contains("unreachable"), "\(error)")
        }
    }

    /// The mock cluster has no CreateTopics: missing topics are a clear start-up error, not a
    /// system whose event readers silently miss a topic.
    func testMissingTopicsThatCannotBeCreatedFailStartUp() async throws {
        let cluster = try KafkaMockCluster(createTopics: false)
        var configuration = EmbeddedConfiguration(dataDirectory: FileManager.default.temporaryDirectory
            .appendingPathComponent("orderpay-kafka-\(UUID().uuidString)").path)
        configuration.jwtSecret = "test-secret-test-secret-test-secret-0123456789"
        configuration.kafka = cluster.bootstraps
        defer { try? FileManager.default.removeItem(atPath: configuration.dataDirectory) }
        do {
            _ = try await EmbeddedSystem.start(configuration, logger: KafkaTestSystems.quietLogger())
            XCTFail("start-up should fail without the topics")
        } catch let error as AppError {
            XCTAssertEqual(error.kind, .unavailable)
            XCTAssertTrue("\(error)".contains("could not be created"), "\(error)")
        }
    }

    /// One payment per order, charged on the first attempt, and one payment-processed event per
    /// order in Kafka (a second charge would have published a second one, with another event id).
    private func assertChargedOnce(_ ids: [Int64], kafka: KafkaTestSystems, on system: EmbeddedSystem,
                                   file: StaticString = #filePath, line: UInt = #line) async throws {
        let payments = try await kafka.payments(on: system)
        XCTAssertEqual(payments.count, ids.count, "payments", file: file, line: line)
        XCTAssertEqual(Set(payments.map(\.orderId)), Set(ids), "one payment per order", file: file, line: line)
        XCTAssertTrue(payments.allSatisfy { $0.status == .success && $0.attempts == 1 }, file: file, line: line)
        let processed = try await waitForProcessed(system, count: ids.count)
        let perOrder = Dictionary(grouping: processed, by: \.payload.orderId).mapValues { Set($0.map(\.eventId)).count }
        XCTAssertEqual(Set(perOrder.keys), Set(ids), file: file, line: line)
        XCTAssertTrue(perOrder.values.allSatisfy { $0 == 1 }, "payment-processed events per order: \(perOrder)", file: file, line: line)
    }

    /// Distinct payment-processed events seen by the tail reader, once it saw `count` of them.
    private func waitForProcessed(_ system: EmbeddedSystem, count: Int) async throws -> [EventEnvelope] {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let seen = system.events.appended.current
            let events = try await system.events.latest(count: 10_000, topics: [.paymentProcessed]).map(\.envelope)
            if Set(events.map(\.payload.orderId)).count >= count || ContinuousClock.now > deadline { return events }
            await system.events.appended.wait(after: seen, timeout: .milliseconds(200))
        }
    }

    /// An event that came through Kafka is not in the SQL log: its dead letter keeps a copy of it,
    /// so it is listed (and can be looked at and replayed) like any other.
    func testAnUnreadableEventThroughKafkaIsKeptAsADeadLetter() async throws {
        let kafka = try await KafkaTestSystems.make()
        defer { kafka.remove() }
        let system = try await kafka.start()
        let (customer, product) = try await kafka.customer(on: system)
        let sent = Date(timeIntervalSince1970: 1_790_000_000.25)
        let unreadable = SerializedEvent(eventId: "future-1", topic: .orderCreated, type: "OrderCreatedV2", key: "77",
                                         payload: #"{"orderId":77}"#, occurredAt: sent, traceId: "4bf92f3577b34da6a3ce929d0e0e4736")
        // From an outbox a newer version wrote: relayed as it is, not held back.
        try await system.events.relay([unreadable], from: "a-newer-service", through: 1)
        let placed = try await system.orders.place(actor: customer, kafka.order(product))
        let settled = try await system.waitForOrder(id: placed.id, actor: kafka.admin, timeout: .seconds(30))
        XCTAssertEqual(settled.status, .paid, "the flow goes on past the unreadable event")

        let letters = try await waitForDeadLetters(system)
        let letter = try XCTUnwrap(letters.first, "the dead letter is stored")
        XCTAssertEqual(letters.count, 1)
        XCTAssertEqual(letter.group, PaymentService.consumerGroup)
        XCTAssertTrue(letter.error.contains("cannot be read by this version"), letter.error)
        XCTAssertEqual(letter.event.eventId, "future-1")
        XCTAssertEqual(letter.event.topic, .orderCreated)
        XCTAssertEqual(letter.event.key, "77")
        XCTAssertEqual(letter.event.traceId, "4bf92f3577b34da6a3ce929d0e0e4736")
        XCTAssertEqual(letter.event.occurredAt.timeIntervalSince1970, sent.timeIntervalSince1970, accuracy: 0.001)
        guard case .undecodable(let kept) = letter.event.payload else { return XCTFail("kept as it was: \(letter.event.payload)") }
        XCTAssertEqual(kept.type, "OrderCreatedV2")
        XCTAssertEqual(kept.json, #"{"orderId":77}"#)
        let looked = try await system.events.deadLetter(id: letter.id)
        XCTAssertEqual(looked?.event.eventId, "future-1")
        await system.stop()
    }

    /// A newer producer's event type, straight on the topic: its dead letter keeps the payload as
    /// the producer wrote it, so it can be replayed once this service understands it.
    func testANewerProducersEventIsDeadLetteredWithItsPayload() async throws {
        let kafka = try await KafkaTestSystems.make()
        defer { kafka.remove() }
        let system = try await kafka.start([.payments])
        var config = KafkaConfig(bootstrapServers: kafka.cluster.bootstraps)
        config.overrides = KafkaMockCluster.clientProperties
        let producer = try KafkaProducer(config: config)
        let payload = #"{"orderId":88,"lines":[{"sku":"KB","quantity":2}],"total":{"amount":"19.99","currency":"EUR"}}"#
        let message = #"{"eventId":"v3-88","key":"88","occurredAt":"2026-11-26T10:00:00.000Z","offset":-1,"topic":"order-created","#
            + #""type":"OrderCreatedV3","payload":"# + payload + "}"
        try await producer.send([OutgoingMessage(topic: Topic.orderCreated.rawValue, key: "88", value: Data(message.utf8))])
        producer.close()

        let letters = try await waitForDeadLetters(system)
        let letter = try XCTUnwrap(letters.first, "the dead letter is stored")
        guard case .undecodable(let kept) = letter.event.payload else { return XCTFail("kept as it was: \(letter.event.payload)") }
        XCTAssertEqual(kept.type, "OrderCreatedV3")
        XCTAssertEqual(kept.json, payload)
        XCTAssertEqual(letter.event.key, "88")
        await system.stop()
    }

    /// The dead letters once there are any (or none after 30 s).
    private func waitForDeadLetters(_ system: EmbeddedSystem) async throws -> [DeadLetter] {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let letters = try await system.events.deadLetters(includeReplayed: false)
            if !letters.isEmpty || ContinuousClock.now > deadline { return letters }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    private func waitForEvents(_ system: EmbeddedSystem, orderId: Int64, count: Int) async throws -> [LoggedEvent] {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let seen = system.events.appended.current
            let events = try await system.events.latest(count: 100, topics: nil).filter { $0.envelope.payload.orderId == orderId }
            if events.count >= count || ContinuousClock.now > deadline { return events }
            await system.events.appended.wait(after: seen, timeout: .milliseconds(200))
        }
    }
}
