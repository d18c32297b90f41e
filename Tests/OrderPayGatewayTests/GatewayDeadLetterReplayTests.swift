import Foundation
import OrderPayCore
import OrderPayServer
import OrderPayServices
import XCTest

/// Dead-letter replay in the distributed set-up: the gateway sends `/api/events` to the order
/// service, whose process runs only the order-service consumers; a payment-service letter must
/// still reach the payment service's handler.
final class GatewayDeadLetterReplayTests: XCTestCase {
    /// The payment service gave up on an order's `order-created` and moved on; replayed through
    /// the gateway, the order service hands it to the payment service, which charges the order.
    func testAPaymentServiceDeadLetterIsReplayedThroughTheGateway() async throws {
        var options = GatewayTestCluster.Options()
        options.services = [.auth, .orders]
        try await GatewayTestCluster.with(options) { cluster in
            let admin = try await cluster.token(cluster.admin)
            let customer = try await cluster.token(cluster.customer)
            let order = try await cluster.placeOrder(token: customer)
            let events = cluster.host(.orders).system.events
            let created = try await self.orderCreated(order.id, in: events)
            // What a consumer that failed five times leaves: the letter, and its group past the event.
            try await events.commit(group: PaymentService.consumerGroup, topic: .orderCreated, offset: created.offset + 1)
            try await events.addDeadLetter(group: PaymentService.consumerGroup, event: created, error: "processor unreachable", attempts: 5)
            let letter = try await cluster.call(.GET, "/api/events/dead-letters", token: admin).decode([DeadLetter].self)[0]

            // No payment service up: nothing can take it, and the answer says so.
            try await cluster.call(.POST, "/api/events/dead-letters/\(letter.id)/replay", token: admin)
                .problem(503, containing: "PAYMENT-SERVICE")
            let stillOpen = try await events.deadLetter(id: letter.id)
            XCTAssertNil(stillOpen?.replayedAt)

            _ = try await cluster.startService(.payments)
            try await cluster.refreshGateway()   // for the payment read below; the order service asks the registry itself
            let replay = try await cluster.call(.POST, "/api/events/dead-letters/\(letter.id)/replay", token: admin)
            let replayed = try replay.expect(200).decode(DeadLetter.self)
            XCTAssertEqual(replayed.group, PaymentService.consumerGroup)
            XCTAssertNotNil(replayed.replayedAt, replay.text)
            let paid = try await cluster.waitForOrder(order.id, token: admin)
            XCTAssertEqual(paid.status, .paid)
            let payment = try await cluster.call(.GET, "/api/payments/order/\(order.id)", token: admin).expect(200).decode(Payment.self)
            XCTAssertEqual(payment.status, .success)

            try await cluster.call(.POST, "/api/events/dead-letters/\(letter.id)/replay", token: admin).problem(409, containing: "already replayed")
            let open = try await cluster.call(.GET, "/api/events/dead-letters", token: admin).decode([DeadLetter].self)
            XCTAssertTrue(open.isEmpty, "\(open)")
            // Only admins replay.
            try await cluster.call(.POST, "/api/events/dead-letters/\(letter.id)/replay", token: customer).problem(403)
        }
    }

    /// An event this version cannot read stays a dead letter: replaying it is a conflict, not a
    /// server error, whether the owner answers itself or through a handover.
    func testAnUnreadableDeadLetterIsAConflictAndAHandoverIsNotHandedOn() async throws {
        try await GatewayTestCluster.with { cluster in
            let admin = try await cluster.token(cluster.admin)
            let events = cluster.host(.orders).system.events
            let unreadable = SerializedEvent(eventId: "future-1", topic: .orderCreated, type: "OrderCreatedV2", key: "77",
                                             payload: #"{"orderId":77}"#, occurredAt: Date(), traceId: nil)
            try await events.relay([unreadable], from: "a-newer-service", through: 1)
            let letter = try await self.deadLetter(of: "future-1", in: events)
            XCTAssertEqual(letter.group, PaymentService.consumerGroup)

            let problem = try await cluster.call(.POST, "/api/events/dead-letters/\(letter.id)/replay", token: admin)
                .problem(409, containing: "cannot be read by this version")
            XCTAssertEqual(problem["type"] as? String, "urn:orderpay:problem:conflict")
            XCTAssertTrue((problem["detail"] as? String ?? "").contains("OrderCreatedV2"), "\(problem)")
            let stillOpen = try await events.deadLetter(id: letter.id)
            XCTAssertNil(stillOpen?.replayedAt)

            // Handed over with another event id: the two processes do not read one log.
            let payments = cluster.host(.payments).server.baseURL
            try await cluster.call(.POST, "/api/events/dead-letters/\(letter.id)/replay", token: admin,
                                   headers: [(DeadLetterReplayRequest.handoverHeader, "another-event")], on: payments)
                .problem(409, containing: "another event log")
            // A handed-over letter of a group this process does not run is refused, not handed on again.
            let orders = cluster.host(.orders).server.baseURL
            try await cluster.call(.POST, "/api/events/dead-letters/\(letter.id)/replay", token: admin,
                                   headers: [(DeadLetterReplayRequest.handoverHeader, "future-1")], on: orders)
                .problem(503, containing: "does not run in this process")
        }
    }

    private func orderCreated(_ orderId: Int64, in events: any EventLog) async throws -> EventEnvelope {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let page = try await events.page(topic: .orderCreated, from: 0, limit: 1000)
            if let event = page.first(where: { $0.payload.orderId == orderId }) { return event }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTFail("order \(orderId)'s order-created never reached the log")
        throw CancellationError()
    }

    private func deadLetter(of eventId: String, in events: any EventLog) async throws -> DeadLetter {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let letter = try await events.deadLetters(includeReplayed: false).first(where: { $0.event.eventId == eventId }) {
                return letter
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTFail("event \(eventId) was never dead-lettered")
        throw CancellationError()
    }
}
