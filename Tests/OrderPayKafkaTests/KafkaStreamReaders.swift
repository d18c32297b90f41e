import Foundation
import Hummingbird
import HummingbirdTesting
import OrderPayCore
import OrderPayHTTP
import OrderPayKafka
import OrderPayServices
import OrderPayTestSupport
import OrderPayStore
import XCTest

/// A reader "process" on a mock cluster: its own Kafka readers' log (own tail reader and ring,
/// so its own sequence numbers) behind the event routes, as an order-service instance serves
/// `/api/events/stream`. Two of them on one cluster are two instances behind a gateway; one
/// started after the events were produced is an instance after a restart.
struct KafkaStreamReader {
    static let jwtSecret = "stream-test-secret-stream-test-secret-0123456789"

    let kafka: KafkaEvents
    let app: Application<RouterResponder<OrderPayRequestContext>>
    let adminToken: String

    init(cluster: KafkaMockCluster, directory: String, ringCapacity: Int = 10_000) async throws {
        var config = KafkaConfig(bootstrapServers: cluster.bootstraps)
        config.overrides = KafkaMockCluster.clientProperties
        let database = try SQLiteEventLog(path: "\(directory)/events-\(UUID().uuidString).sqlite")
        kafka = try KafkaEvents(config: config, database: database, ringCapacity: ringCapacity, logger: KafkaTestSystems.quietLogger())
        let tokens = TokenService(secret: Self.jwtSecret, clock: SystemClock())
        let api = APIRouter()
        addEventRoutes(to: api, events: kafka.log, tokens: tokens, replay: { _ in throw AppError(.unavailable, "no replay here") })
        app = Application(router: api, logger: KafkaTestSystems.quietLogger())
        let now = Date()
        adminToken = try await tokens.issueAccessToken(for: User(id: 1, email: "admin@example.com", name: "Admin",
                                                                 roles: [.admin, .user], createdAt: now, updatedAt: now))
    }

    /// Runs `body` against this reader's routes (no sockets).
    func test<Value: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        try await app.test(.router, body)
    }

    /// The events of a stream that ends by itself (give it a limit). A stream that skipped some
    /// would wait for more forever: after a minute it is given up as a failure, not a hang.
    func stream(_ query: String, lastEventID: String? = nil) async throws -> [ServerSentMessage] {
        let token = adminToken
        return try await test { client in
            try await withThrowingTaskGroup(of: [ServerSentMessage]?.self) { group in
                group.addTask {
                    let response = try await client.stream(query, token: token, lastEventID: lastEventID)
                    XCTAssertEqual(response.status, .ok, String(buffer: response.body))
                    return ServerSentMessage.parse(String(buffer: response.body))
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(60))
                    return nil
                }
                defer { group.cancelAll() }
                guard let messages = try await group.next() ?? nil else {
                    XCTFail("the stream (\(query)) never got all its events: some were skipped")
                    return []
                }
                return messages
            }
        }
    }

    /// `GET /api/events?…` as an admin: a page of one topic's history.
    func page(_ query: String) async throws -> EventPage {
        let token = adminToken
        return try await test { client in
            let response = try await client.execute(uri: "/api/events?\(query)", method: .get,
                                                    headers: [.authorization: "Bearer \(token)"], body: nil)
            XCTAssertEqual(response.status, .ok, String(buffer: response.body))
            return try JSONCoding.decoder.decode(EventPage.self, from: Data(response.body.readableBytesView))
        }
    }

    /// Waits until the ring holds `count` events, so "now" and "the newest" include them.
    func waitForEvents(_ count: Int, timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await kafka.log.latest(count: count, topics: nil).count < count {
            guard ContinuousClock.now < deadline else { return XCTFail("the reader saw fewer than \(count) events") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func close() { kafka.close() }
}

/// Produces `count` order-created events, for orders `first`, `first + 1`…, keyed (and so
/// spread over the partitions) by order id.
func produceOrders(_ count: Int, from first: Int64 = 1, through log: KafkaEventLog) async throws -> [Int64] {
    let ids = (first..<(first + Int64(count))).map { $0 }
    try await log.append(ids.map { id in
        EventDraft(occurredAt: Date(), payload: .orderCreated(OrderCreated(
            orderId: id, orderNumber: "ORD-\(id)", userId: 7, totalAmount: Money("1.00")!, paymentMethod: .creditCard, paymentToken: "tok_visa")))
    })
    return ids
}

extension ServerSentMessage {
    var orderId: Int64? {
        (try? JSONCoding.decoder.decode(EventEnvelope.self, from: Data(data.utf8)))?.payload.orderId
    }
}

extension TestClientProtocol {
    /// `GET /api/events/stream` with a limit (the stream ends after it), as an admin.
    func stream(_ query: String, token: String, lastEventID: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.authorization: "Bearer \(token)"]
        if let lastEventID { headers[HTTPFields.Element.Name("Last-Event-ID")!] = lastEventID }
        return try await execute(uri: "/api/events/stream?\(query)", method: .get, headers: headers, body: nil)
    }
}
