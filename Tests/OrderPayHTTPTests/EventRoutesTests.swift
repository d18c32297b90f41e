import Foundation
import HummingbirdTesting
import OrderPayCore
import OrderPayHTTP
import OrderPayServices
import OrderPayTestSupport
import XCTest

final class EventRoutesTests: XCTestCase {
    func testTopicHistoryIsPagedByOffset() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let customer = try await client.token(t.customer)
            let admin = try await client.token(t.admin)
            let order = try await client.call(.post, "/api/orders", token: customer, body: t.placeRequest()).decode(Order.self)
            _ = try await t.settled(order.id)
            try await t.quiesce(events: 2, topic: .orderStatusUpdated)

            let first = try await client.call(.get, "/api/events?topic=order-status-updated&from=0&limit=1", token: admin)
            let page = try first.decode(EventPage.self)
            XCTAssertEqual(page.events.count, 1, first.text)
            XCTAssertEqual(page.endOffset, 2)
            XCTAssertEqual(page.nextOffset, page.events[0].offset + 1)
            let second = try await client.call(.get, "/api/events?topic=order-status-updated&from=\(page.nextOffset)", token: admin)
                .decode(EventPage.self)
            XCTAssertEqual(second.events.count, 1)
            guard case .orderStatusUpdated(let update) = second.events[0].payload else { return XCTFail("wrong payload") }
            XCTAssertEqual(update.to, .paid)

            // ?last=N: the newest N, in log order (offsets count per partition with Kafka, so
            // no from/limit page is "the last N" there).
            let last = try await client.call(.get, "/api/events?topic=order-status-updated&last=1", token: admin).decode(EventPage.self)
            XCTAssertEqual(last.events.map(\.offset), [1])
            XCTAssertEqual(last.endOffset, 2)
            let all = try await client.call(.get, "/api/events?topic=order-status-updated&last=1000", token: admin).decode(EventPage.self)
            XCTAssertEqual(all.events.map(\.offset), [0, 1])
            try await client.call(.get, "/api/events?topic=order-created&last=0", token: admin).problem(400, containing: "last")
            try await client.call(.get, "/api/events?topic=order-created&last=1001", token: admin).problem(400, containing: "last")
            try await client.call(.get, "/api/events?topic=order-created&last=2&from=0", token: admin).problem(400, containing: "from")

            // ?after=: after a log sequence (a stream id), continued by nextAfter.
            let afterStart = try await client.call(.get, "/api/events?topic=order-status-updated&after=0&limit=1", token: admin)
                .decode(EventPage.self)
            XCTAssertEqual(afterStart.events.map(\.offset), [0])
            let afterNext = try await client.call(.get, "/api/events?topic=order-status-updated&after=\(afterStart.nextAfter ?? "")",
                                                  token: admin).decode(EventPage.self)
            XCTAssertEqual(afterNext.events.map(\.offset), [1])
            let afterEnd = try await client.call(.get, "/api/events?topic=order-status-updated&after=\(afterNext.nextAfter ?? "")",
                                                 token: admin).decode(EventPage.self)
            XCTAssertEqual(afterEnd.events.count, 0)
            XCTAssertEqual(afterEnd.nextAfter, afterNext.nextAfter)
            try await client.call(.get, "/api/events?topic=order-created&after=k1.AAAA", token: admin).problem(400, containing: "after")
            try await client.call(.get, "/api/events?topic=order-created&after=1&from=0", token: admin).problem(400, containing: "after")

            try await client.call(.get, "/api/events", token: admin).problem(400, containing: "topic")
            try await client.call(.get, "/api/events?topic=orders", token: admin).problem(400, containing: "order-created")
            try await client.call(.get, "/api/events?topic=order-created&limit=many", token: admin).problem(400, containing: "limit")
            try await client.call(.get, "/api/events?topic=order-created", token: customer).problem(403)
            try await client.call(.get, "/api/events/stream", token: customer).problem(403)
            try await client.call(.get, "/api/events/dead-letters", token: customer).problem(403)
            try await client.call(.get, "/api/events/stream").problem(401)
        }
    }

    func testStreamDeliversTheLogInOrderAndResumesAfterLastEventID() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let customer = try await client.token(t.customer)
            let admin = try await client.token(t.admin)
            for _ in 0..<2 {
                let order = try await client.call(.post, "/api/orders", token: customer, body: t.placeRequest()).decode(Order.self)
                _ = try await t.settled(order.id)
            }
            try await t.quiesce(events: 8)
            let logged = try await t.system.events.tail(after: 0, topics: nil, limit: 100)
            XCTAssertEqual(logged.count, 8)

            let all = try await client.call(.get, "/api/events/stream?from=0&limit=\(logged.count)", token: admin)
            XCTAssertEqual(all.status, .ok)
            XCTAssertEqual(all.headers[.contentType], "text/event-stream; charset=utf-8")
            let messages = ServerSentMessage.parse(all.text)
            XCTAssertEqual(messages.map(\.id), logged.map { String($0.sequence) })
            XCTAssertEqual(messages.map(\.event), logged.map(\.envelope.topic.rawValue))
            // The JSON carries timestamps to the millisecond; everything else must round-trip exactly.
            let decoded = try messages.map { try JSONCoding.decoder.decode(EventEnvelope.self, from: Data($0.data.utf8)) }
            XCTAssertEqual(decoded.map(\.eventId), logged.map(\.envelope.eventId))
            XCTAssertEqual(decoded.map(\.payload), logged.map(\.envelope.payload))
            XCTAssertEqual(decoded.map(\.offset), logged.map(\.envelope.offset))

            let resumeAfter = logged[2].sequence
            let resumed = try await client.call(.get, "/api/events/stream?limit=\(logged.count - 3)", token: admin,
                                                headers: [.lastEventID: String(resumeAfter)])
            XCTAssertEqual(ServerSentMessage.parse(resumed.text).map(\.id), logged.dropFirst(3).map { String($0.sequence) })

            let fromThird = try await client.call(.get, "/api/events/stream?from=\(logged[2].sequence)&limit=2", token: admin)
            XCTAssertEqual(ServerSentMessage.parse(fromThird.text).map(\.id), logged[2...3].map { String($0.sequence) })

            let onlyCreated = try await client.call(.get, "/api/events/stream?from=0&limit=2&topic=order-created", token: admin)
            XCTAssertEqual(ServerSentMessage.parse(onlyCreated.text).map(\.event), ["order-created", "order-created"])

            try await client.call(.get, "/api/events/stream", token: admin, headers: [.lastEventID: "yesterday"]).problem(400)
            try await client.call(.get, "/api/events/stream?topic=nope", token: admin).problem(400, containing: "topic")
            try await client.call(.get, "/api/events/stream?limit=0", token: admin).problem(400, containing: "limit")
        }
    }

    func testStreamWaitsForNewEventsAndKeepsAlive() async throws {
        let t = try await HTTPTestSystem.make(keepAlive: .milliseconds(100))
        try await t.test { client in
            let customer = try await client.token(t.customer)
            let admin = try await client.token(t.admin)
            let stream = Task { try await client.call(.get, "/api/events/stream?limit=4", token: admin) }
            try await Task.sleep(for: .milliseconds(400))   // the stream is open and idle
            let order = try await client.call(.post, "/api/orders", token: customer, body: t.placeRequest()).decode(Order.self)
            let response = try await withTimeout(.seconds(20)) { try await stream.value }
            XCTAssertTrue(response.text.contains(": keepalive\n\n"), response.text)
            let messages = ServerSentMessage.parse(response.text)
            XCTAssertEqual(messages.count, 4)
            XCTAssertEqual(messages.first?.event, "order-created")
            XCTAssertEqual(Set(messages.map(\.event)), ["order-created", "payment-processed", "order-status-updated"])
            let ids = messages.compactMap { Int64($0.id) }
            XCTAssertEqual(ids, ids.sorted())
            let envelope = try JSONCoding.decoder.decode(EventEnvelope.self, from: Data(messages[0].data.utf8))
            XCTAssertEqual(envelope.payload.orderId, order.id)
        }
    }

    func testDeadLettersAreListedAndReplayed() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let customer = try await client.token(t.customer)
            let admin = try await client.token(t.admin)
            let order = try await client.call(.post, "/api/orders", token: customer, body: t.placeRequest()).decode(Order.self)
            _ = try await t.settled(order.id)
            try await t.quiesce(events: 4)
            let outcome = try await t.system.events.read(topic: .paymentProcessed, from: 0, limit: 1)[0]
            try await t.system.events.addDeadLetter(group: OrderService.consumerGroup, event: outcome, error: "boom", attempts: 3)

            let letters = try await client.call(.get, "/api/events/dead-letters", token: admin).decode([DeadLetter].self)
            XCTAssertEqual(letters.map(\.error), ["boom"])
            let replayed = try await client.call(.post, "/api/events/dead-letters/\(letters[0].id)/replay", token: admin)
            XCTAssertNotNil(try replayed.decode(DeadLetter.self).replayedAt, replayed.text)
            let open = try await client.call(.get, "/api/events/dead-letters", token: admin).decode([DeadLetter].self)
            XCTAssertTrue(open.isEmpty)
            let history = try await client.call(.get, "/api/events/dead-letters?includeReplayed=true", token: admin).decode([DeadLetter].self)
            XCTAssertEqual(history.count, 1)
            try await client.call(.post, "/api/events/dead-letters/\(letters[0].id)/replay", token: admin).problem(409)
            try await client.call(.post, "/api/events/dead-letters/999/replay", token: admin).problem(404)
            try await client.call(.post, "/api/events/dead-letters/x/replay", token: admin).problem(400)
        }
    }
}

struct TimedOut: Error {}

func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimedOut()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
