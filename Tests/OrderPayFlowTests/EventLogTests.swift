import Foundation
import GRDB
import OrderPayCore
import OrderPayServices
@testable import OrderPayStore
@testable import OrderPayEmbedded
import OrderPayTestSupport
import XCTest

final class EventLogTests: XCTestCase {
    func makeLog() async throws -> (any EventLog, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-log-\(UUID().uuidString)").path
        return (try await TestEngine.stores(directory: directory).events, directory)
    }

    func created(_ orderId: Int64) -> EventDraft {
        EventDraft(occurredAt: Date(), payload: .orderCreated(OrderCreated(orderId: orderId, orderNumber: "n-\(orderId)", userId: 1,
                                                                          totalAmount: Money("1.00")!, paymentMethod: .paypal, paymentToken: "tok_visa")))
    }

    func testOffsetsArePerTopicAndDuplicatesAreSkipped() async throws {
        let (log, directory) = try await makeLog()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = created(1)
        try await log.append([first, created(2)])
        try await log.append([first])   // a relay re-sending after a crash
        let status = EventDraft(occurredAt: Date(), payload: .orderStatusUpdated(OrderStatusUpdated(orderId: 1, userId: 1, from: .created, to: .pending, reason: nil)))
        try await log.append([status])
        await assertEqual(try await log.read(topic: .orderCreated, from: 0, limit: 10).map(\.offset), [0, 1])
        await assertEqual(try await log.read(topic: .orderStatusUpdated, from: 0, limit: 10).map(\.offset), [0])
        await assertEqual(try await log.endOffset(topic: .orderCreated), 2)
        await assertEqual(try await log.tail(after: 0, topics: nil, limit: 10).count, 3)
        try await log.commit(group: "g", topic: .orderCreated, offset: 2)
        try await log.commit(group: "g", topic: .orderCreated, offset: 1)   // never moves backwards
        await assertEqual(try await log.committedOffset(group: "g", topic: .orderCreated), 2)
        await assertEqual(try await log.lag(group: "other", topic: .orderCreated), 2)
    }

    func testAFailingHandlerMovesTheEventToDeadLettersAndTheGroupMovesOn() async throws {
        let (log, directory) = try await makeLog()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await log.append([created(1), created(2), created(3)])
        let handled = Recorder()
        let runner = ConsumerRunner(group: "test-group", topic: .orderCreated, log: log, maxAttempts: 3, logger: TestSystem.quietLogger()) { events in
            if events.contains(where: { $0.payload.orderId == 2 }) { throw AppError(.internal, "poison order 2") }
            await handled.add(events.map(\.payload.orderId))
        }
        let task = Task { await runner.run() }
        let deadline = ContinuousClock.now + .seconds(10)
        while runner.nextOffset < 3 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        task.cancel()
        await task.value
        await assertEqual(await handled.ids, [1, 3])
        let letters = try await log.deadLetters(includeReplayed: false)
        XCTAssertEqual(letters.count, 1)
        XCTAssertEqual(letters.first?.event.payload.orderId, 2)
        XCTAssertEqual(letters.first?.attempts, 3)
        XCTAssertTrue(letters.first?.error.contains("poison order 2") == true)
        await assertEqual(try await log.committedOffset(group: "test-group", topic: .orderCreated), 3)
    }

    /// An event this version cannot read (a newer producer's, say) is set aside as a dead letter;
    /// the payment service does not stop at it, and readers of the log still list it.
    func testAnUnreadableEventIsDeadLetteredAndTheFlowGoesOn() async throws {
        let t = try await TestSystem.make()
        let unreadable = [
            SerializedEvent(eventId: "future-1", topic: .orderCreated, type: "OrderCreatedV2", key: "77", payload: #"{"orderId":77}"#,
                            occurredAt: Date(), traceId: nil),
            SerializedEvent(eventId: "future-2", topic: .orderCreated, type: "OrderCreated", key: "78", payload: #"{"orderId":"seventy-eight"}"#,
                            occurredAt: Date(), traceId: nil),
        ]
        try await t.system.events.relay(unreadable, from: "a-newer-service", through: 2)
        let order = try await t.system.orders.place(actor: t.customerActor, t.order())
        await assertEqual(try await t.system.waitForOrder(id: order.id, actor: t.admin).status, .paid)

        let letters = try await t.system.events.deadLetters(includeReplayed: false)
        XCTAssertEqual(letters.map(\.event.eventId).sorted(), ["future-1", "future-2"])
        XCTAssertTrue(letters.allSatisfy { $0.group == PaymentService.consumerGroup && $0.error.contains("cannot be read by this version") },
                      "\(letters.map(\.error))")
        guard case .undecodable(let kept)? = letters.first(where: { $0.event.eventId == "future-1" })?.event.payload else {
            return XCTFail("the dead letter keeps the event as it was")
        }
        XCTAssertEqual(kept.json, #"{"orderId":77}"#)
        XCTAssertEqual(kept.type, "OrderCreatedV2")
        // Replaying it cannot succeed in this version: a conflict, and it stays a dead letter.
        let unreadableLetter = try XCTUnwrap(letters.first { $0.event.eventId == "future-1" })
        await XCTAssertThrowsAppError(.conflict, try await t.system.replayDeadLetter(id: unreadableLetter.id))
        await assertEqual(try await t.system.events.deadLetters(includeReplayed: false).count, 2)
        // Passed on as JSON (the SSE stream, Kafka), it keeps its text, reason and key.
        let passedOn = try JSONCoding.decoder.decode(EventEnvelope.self, from: JSONCoding.encoder.encode(
            try XCTUnwrap(letters.first { $0.event.eventId == "future-2" }?.event)))
        guard case .undecodable(let relayed) = passedOn.payload else { return XCTFail("decoded as \(passedOn.payload)") }
        XCTAssertEqual(relayed.json, #"{"orderId":"seventy-eight"}"#)
        XCTAssertEqual(passedOn.key, "78")
        let listed = try await t.system.events.latest(count: 50, topics: [.orderCreated])
        XCTAssertEqual(listed.filter { if case .undecodable = $0.envelope.payload { true } else { false } }.count, 2)
        await t.stop()
    }

    /// A topic a newer version added has no reader here; its rows must not stop reads across topics
    /// (the SSE stream, `events tail`, the console). SQLite only: the API cannot write such a row.
    func testReadsAcrossTopicsPassOverATopicThisVersionDoesNotKnow() async throws {
        try XCTSkipIf(TestEngine.isPostgres, "writes the row with SQL on the SQLite file")
        let directory = try temporaryDirectory("unknown-topic")
        let path = directory.appendingPathComponent("events.sqlite").path
        let log = try SQLiteEventLog(path: path)
        try await log.append([created(1)])
        let raw = try DatabaseQueue(path: path)
        try raw.inDatabase { db in
            try db.execute(sql: """
                INSERT INTO events (topic, topic_offset, event_id, type, key, payload, occurred_at)
                VALUES ('refunds-v2', 0, 'future-topic-1', 'RefundRequested', '1', '{}', 0)
                """)
        }
        try await log.append([created(2)])
        await assertEqual(try await log.tail(after: 0, topics: nil, limit: 10).map(\.envelope.payload.orderId), [1, 2])
        await assertEqual(try await log.latest(count: 10, topics: nil).map(\.envelope.payload.orderId), [1, 2])
    }

    /// Dead letters kept a reference to their event only, before they could keep a copy of one that
    /// came through Kafka: the upgrade keeps them, and they read as before.
    func testDeadLettersFromBeforeTheUpgradeAreKept() async throws {
        try XCTSkipIf(TestEngine.isPostgres, "builds the old SQLite schema")
        let directory = try temporaryDirectory("dead-letter-upgrade")
        let path = directory.appendingPathComponent("events.sqlite").path
        let old = try DatabaseQueue(path: path)
        try SQLiteEventLog.migrator.migrate(old, upTo: "v2-plain-rowids")
        let event = SerializedEvent(created(5))
        try await old.write { db in
            try db.execute(sql: """
                INSERT INTO events (seq, topic, topic_offset, event_id, type, key, payload, occurred_at)
                VALUES (1, ?, 0, ?, ?, ?, ?, 1790000000)
                """, arguments: [event.topic.rawValue, event.eventId, event.type, event.key, event.payload])
            try db.execute(sql: """
                INSERT INTO dead_letters (consumer_group, event_seq, error, attempts, failed_at) VALUES ('payment-service', 1, 'boom', 5, 1790000001)
                """)
        }
        try old.close()

        let log = try SQLiteEventLog(path: path)
        let letters = try await log.deadLetters(includeReplayed: true)
        XCTAssertEqual(letters.map(\.event.eventId), [event.eventId])
        XCTAssertEqual(letters.first?.event.payload.orderId, 5)
        XCTAssertEqual(letters.first?.error, "boom")
        // New dead letters, by reference or by copy, are numbered after it.
        try await log.addDeadLetter(group: "payment-service", event: letters[0].event, error: "again", attempts: 5)
        var carried = letters[0].event
        carried.eventId = "from-kafka-1"
        try await log.addDeadLetter(group: "payment-service", event: carried, error: "via kafka", attempts: 5)
        let all = try await log.deadLetters(includeReplayed: true)
        XCTAssertEqual(all.map(\.id), [letters[0].id, letters[0].id + 1, letters[0].id + 2])
        XCTAssertEqual(all.map(\.event.eventId), [event.eventId, event.eventId, "from-kafka-1"])
        XCTAssertEqual(all.last?.event.payload, letters[0].event.payload)
    }

    func testDeadLetterReplayReachesTheHandlerAgain() async throws {
        let t = try await TestSystem.make()
        let order = try await t.system.orders.place(actor: t.customerActor, t.order())
        _ = try await t.system.waitForOrder(id: order.id, actor: t.admin)
        await t.system.drain()
        let event = try await t.system.events.read(topic: .orderCreated, from: 0, limit: 1)[0]
        try await t.system.events.addDeadLetter(group: PaymentService.consumerGroup, event: event, error: "simulated", attempts: 5)
        let letter = try await t.system.events.deadLetters(includeReplayed: false)[0]
        let replayed = try await t.system.replayDeadLetter(id: letter.id)
        XCTAssertNotNil(replayed.replayedAt)
        await assertEqual(try await t.system.events.deadLetters(includeReplayed: false).count, 0)
        await XCTAssertThrowsAppError(.conflict, try await t.system.replayDeadLetter(id: letter.id))
        await XCTAssertThrowsAppError(.notFound, try await t.system.replayDeadLetter(id: 999))
        await assertEqual(try await t.system.payments.list(actor: t.admin).totalElements, 1)   // idempotent: still one charge
        await t.stop()
    }

    func testLiveSubscriptionWakesWithoutPolling() async throws {
        let (log, directory) = try await makeLog()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = ContinuousClock()
        let start = clock.now
        Task { try await Task.sleep(for: .milliseconds(30)); try await log.append([self.created(9)]) }
        // A wake-up may come early (the WAL watcher also fires for the writes that opened the log),
        // so wait again until the append is visible; at most 5 s in all.
        while try await log.tail(after: 0, topics: [.orderCreated], limit: 5).isEmpty, clock.now - start < .seconds(5) {
            let seen = log.appended.current
            if try await !log.tail(after: 0, topics: [.orderCreated], limit: 5).isEmpty { break }
            await log.appended.wait(after: seen, timeout: .seconds(5) - (clock.now - start))
        }
        XCTAssertLessThan(clock.now - start, .seconds(4), "woken by the append, not by the timeout")
        await assertEqual(try await log.tail(after: 0, topics: [.orderCreated], limit: 5).count, 1)
    }
}

actor Recorder {
    var ids: [Int64] = []
    func add(_ more: [Int64]) { ids += more }
}
