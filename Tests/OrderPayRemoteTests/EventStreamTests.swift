import Foundation
import OrderPayConsole
import OrderPayCore
@testable import OrderPayRemote
import XCTest

/// streamEvents over a real gateway: backlog, live order, cancellation, reconnection.
final class EventStreamTests: XCTestCase {
    /// Consumes a stream in a task of its own, keeping every event.
    final class Consumer: @unchecked Sendable {
        let events = Recorder<StreamedEvent>()
        let batches = Recorder<[StreamedEvent]>()
        let statuses = Recorder<String?>()
        /// Holds one value once the stream has ended by itself.
        let ended = Recorder<Void>()
        var task: Task<Void, Never>!

        init(_ backend: RemoteBackend, backlog: Int) {
            let stream = backend.streamEvents(backlog: backlog) { [statuses] in statuses.append($0?.text) }
            task = Task { [events, batches, ended] in
                for await batch in stream {
                    batches.append(batch)
                    batch.forEach(events.append)
                }
                ended.append(())
            }
        }

        func events(forOrder id: Int64) -> [StreamedEvent] { events.all.filter { $0.envelope.key == String(id) } }

        func waitForPaid(_ id: Int64) async throws -> [StreamedEvent] {
            try await eventually("order \(id) PAID on the stream") { () -> [StreamedEvent]? in
                let seen = self.events(forOrder: id)
                return seen.contains { if case .orderStatusUpdated(let p) = $0.envelope.payload { return p.to == .paid }; return false } ? seen : nil
            }
        }
    }

    func testBacklogThenLiveEventsInOrderAndCancellationStopsTheThread() async throws {
        try await withLiveSystem { system in
            let backend = try await system.backend()
            let first = try await backend.placeOrder(system.newOrder())
            _ = try await eventually("first order PAID") { try await backend.orderDetail(id: first.id).order.status == .paid ? true : nil }

            let threadsBefore = SSEStream.threads.value
            let consumer = Consumer(backend, backlog: 2)
            // The backlog: exactly the last two events of the log, in one batch, consecutive cursors.
            let backlog = try await eventually("backlog") { consumer.batches.all.first }
            XCTAssertEqual(backlog.count, 2)
            XCTAssertEqual(backlog[1].cursor, backlog[0].cursor + 1)
            XCTAssertTrue(backlog.allSatisfy { $0.envelope.key == String(first.id) })
            if case .orderStatusUpdated(let update) = backlog[1].envelope.payload { XCTAssertEqual(update.to, .paid) }
            else { XCTFail("the newest event is not the PAID update: \(backlog[1].envelope.topic)") }

            let second = try await backend.placeOrder(system.newOrder())
            let live = try await consumer.waitForPaid(second.id)
            let topics = live.map(\.envelope.topic)
            let created = try XCTUnwrap(topics.firstIndex(of: .orderCreated))
            let processed = try XCTUnwrap(topics.firstIndex(of: .paymentProcessed))
            let updated = try XCTUnwrap(topics.lastIndex(of: .orderStatusUpdated))
            XCTAssertLessThan(created, processed, "\(topics)")
            XCTAssertLessThan(processed, updated, "\(topics)")
            let cursors = consumer.events.all.map(\.cursor)
            XCTAssertEqual(cursors, cursors.sorted(), "cursors ascend")
            XCTAssertEqual(Set(cursors).count, cursors.count, "no event twice")
            XCTAssertEqual(consumer.statuses.all.compactMap { $0 }, [], "no trouble reported")

            // Cancelling the consumer stops the transfer and its thread promptly.
            XCTAssertEqual(SSEStream.threads.value, threadsBefore + 1)
            let cancelled = ContinuousClock.now
            consumer.task.cancel()
            await consumer.task.value
            _ = try await eventually(timeout: .seconds(2), "stream thread ended") { SSEStream.threads.value == threadsBefore ? true : nil }
            XCTAssertLessThan(ContinuousClock.now - cancelled, .seconds(2))
        }
    }

    /// An operator without ROLE_ADMIN: the history fetch that places the backlog is refused with
    /// 403 before the stream is opened. That is reported as a refusal, once, and the stream ends,
    /// rather than retried with backoff as if the gateway were unreachable.
    func testANonAdminIsRefusedTheStreamNotRetriedAsAnOutage() async throws {
        try await withLiveSystem { system in
            var options = RemoteBackend.Options()
            options.streamInitialBackoff = 0.1
            options.streamMaximumBackoff = 0.1
            let backend = try await RemoteBackend(gatewayURL: system.gatewayURL, email: LiveSystem.customerEmail,
                                                  password: LiveSystem.customerPassword, options: options)
            let consumer = Consumer(backend, backlog: 10)
            let first = try await eventually("a status reported") { consumer.statuses.all.compactMap { $0 }.first }
            XCTAssertEqual(first, "event stream refused: this operation requires ROLE_ADMIN")
            _ = try await eventually(timeout: .seconds(5), "the stream ended") { consumer.ended.all.isEmpty ? nil : true }
            XCTAssertEqual(consumer.statuses.all.compactMap { $0 }, [first], "reported once, never retried")
            consumer.task.cancel()
            await consumer.task.value
        }
    }

    /// A filtered events pane's history: the topic's last events from its history pages, oldest first.
    func testRecentEventsOfATopic() async throws {
        try await withLiveSystem { system in
            let backend = try await system.backend()
            var ids: [Int64] = []
            for _ in 0..<3 { ids.append(try await backend.placeOrder(system.newOrder()).id) }
            // The events reach the log through the outbox, after the orders are placed.
            let created = try await eventually("the third order's event") { () -> [StreamedEvent]? in
                let events = try await backend.recentEvents(topic: .orderCreated, count: 2)
                return events.last?.envelope.key == String(ids[2]) ? events : nil
            }
            XCTAssertEqual(created.map(\.envelope.key), ids.suffix(2).map(String.init))
            XCTAssertTrue(created.allSatisfy { $0.envelope.topic == .orderCreated })
            let all = try await backend.recentEvents(topic: .orderCreated, count: 5000)
            XCTAssertEqual(all.map(\.envelope.offset), Array(0..<Int64(all.count)), "from the topic's first event, in order")
            XCTAssertEqual(all.suffix(3).map(\.envelope.key), ids.map(String.init))
        }
    }

    func testReconnectsAfterTheGatewayRestartsAndResumesWithoutGapsOrRepeats() async throws {
        try await withLiveSystem { system in
            var options = RemoteBackend.Options()
            options.streamInitialBackoff = 0.2
            options.streamMaximumBackoff = 0.5
            let backend = try await system.backend(options: options)
            let first = try await backend.placeOrder(system.newOrder())
            _ = try await eventually("first order PAID") { try await backend.orderDetail(id: first.id).order.status == .paid ? true : nil }
            let consumer = Consumer(backend, backlog: 1)
            _ = try await consumer.waitForPaid(first.id)   // the backlog's one event: connected

            await system.stopGateway()
            _ = try await eventually("trouble reported") {
                consumer.statuses.all.compactMap { $0 }.first { $0.hasPrefix("gateway unreachable, retrying in ") || $0.hasPrefix("event stream") }
            }
            // Appended while the gateway is down: must arrive after the reconnect (Last-Event-ID).
            // Placed in the order service's process, with the customer's token as a request that
            // reached it directly would carry (the account's status is checked with auth).
            let token = try await system.auth.system.auth.login(email: LiveSystem.customerEmail, password: LiveSystem.customerPassword)
            let missed = try await system.orders.system.orders.placeWithOutcome(actor: Actor(system.customer), PlaceOrderRequest(
                items: [.init(productId: system.keyboard.id, quantity: 1)], shippingAddress: "2 Test Street"), callerToken: token.accessToken).order
            try await system.restartGateway()
            _ = try await consumer.waitForPaid(missed.id)
            _ = try await eventually("healthy again reported") { consumer.statuses.all.last.map { $0 == nil ? true : nil } ?? nil }

            let ids = consumer.events.all.map(\.envelope.eventId)
            XCTAssertEqual(Set(ids).count, ids.count, "no event delivered twice")
            let cursors = consumer.events.all.map(\.cursor)
            XCTAssertEqual(cursors, Array(cursors.first!...cursors.last!), "no gap")
            consumer.task.cancel()
            await consumer.task.value
        }
    }
}
