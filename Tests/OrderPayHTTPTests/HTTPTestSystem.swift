import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import OrderPayCore
import OrderPayEmbedded
import OrderPayHTTP
import OrderPayServices
import OrderPayTestSupport
import XCTest

typealias HeaderName = HTTPFields.Element.Name

extension HeaderName {
    static let requestID = Self("X-Request-Id")!
    static let traceparent = Self("traceparent")!
    static let idempotencyKey = Self("Idempotency-Key")!
    static let lastEventID = Self("Last-Event-ID")!
}

/// An embedded system on a fresh temp dir, every route mounted on one router, and three accounts:
/// an admin, a customer and another customer, plus a small catalog.
struct HTTPTestSystem {
    static let jwtSecret = "http-test-secret-http-test-secret-0123456789"
    static let password = "password-1"

    let system: EmbeddedSystem
    let directory: String
    let api: APIRouter
    let app: Application<RouterResponder<OrderPayRequestContext>>
    let admin: User
    let customer: User
    let other: User
    let keyboard: Product
    let mouse: Product
    let retired: Product

    static func quietLogger() -> Logger {
        var logger = Logger(label: "http-test")
        logger.logLevel = .critical
        return logger
    }

    static func make(keepAlive: Duration = .seconds(15), health: [HealthCheck]? = nil,
                     passwordGate: AdmissionGate? = nil) async throws -> HTTPTestSystem {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-http-\(UUID().uuidString)").path
        var configuration = EmbeddedConfiguration(dataDirectory: directory)
        configuration.bcryptCost = 4
        configuration.jwtSecret = jwtSecret
        configuration.passwordGate = passwordGate
        configuration.database = try await TestEngine.freshDatabase()
        let system = try await EmbeddedSystem.start(configuration, logger: quietLogger())
        let root = Actor.system("test-setup")
        let admin = try await system.auth.createUser(actor: root, CreateUserRequest(
            email: "admin@example.com", password: password, name: "Admin", roles: [.admin, .user]))
        let customer = try await system.auth.signup(SignupRequest(email: "kim@example.com", password: password, name: "김민준"))
        let other = try await system.auth.signup(SignupRequest(email: "lee@example.com", password: password, name: "이서연"))
        let keyboard = try await system.orders.createProduct(actor: root, sku: "KB", name: "Keyboard", unitPrice: Money("19.99")!)
        let mouse = try await system.orders.createProduct(actor: root, sku: "MS", name: "Mouse", unitPrice: Money("0.10")!)
        let retired = try await system.orders.createProduct(actor: root, sku: "OLD", name: "Old thing", unitPrice: Money("5.00")!, active: false)

        let api = makeAPI(system, keepAlive: keepAlive, health: health)
        let app = Application(router: api, logger: quietLogger())
        return HTTPTestSystem(system: system, directory: directory, api: api, app: app, admin: admin, customer: customer,
                              other: other, keyboard: keyboard, mouse: mouse, retired: retired)
    }

    /// The wiring a server process does: every route group on one router.
    static func makeAPI(_ system: EmbeddedSystem, keepAlive: Duration, health: [HealthCheck]?) -> APIRouter {
        let api = APIRouter()
        let tokens = system.auth.tokens
        addAuthRoutes(to: api, auth: system.auth, tokens: tokens)
        addUserRoutes(to: api, auth: system.auth, tokens: tokens)
        addProfileImageRoutes(to: api, auth: system.auth, tokens: tokens,
                              store: ProfileImageStore(dataDirectory: system.configuration.dataDirectory))
        addProductRoutes(to: api, orders: system.orders, tokens: tokens)
        addOrderRoutes(to: api, orders: system.orders, tokens: tokens)
        addPaymentRoutes(to: api, payments: system.payments, tokens: tokens)
        addEventRoutes(to: api, events: system.events, tokens: tokens, replay: { try await system.replayDeadLetter($0) },
                       keepAlive: keepAlive)
        let events = system.events, auth = system.auth
        addHealthRoute(to: api, checks: health ?? [
            HealthCheck("database") { _ = try await auth.countUsers() },
            HealthCheck("eventLog") { _ = try await events.endOffset(topic: .orderCreated) },
        ])
        addMetricsRoute(to: api, gauges: [
            .ordersByStatus(system.orders), .paymentsByStatus(system.payments),
            .consumerLag(system.events, consumers: MetricGauge.standardConsumers),
        ])
        addOpenAPIRoute(to: api)
        return api
    }

    /// Runs `body` against the router (no sockets), then stops the system and removes its data.
    func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        do {
            try await app.test(.router, body)
        } catch {
            await stop()
            throw error
        }
        await stop()
    }

    /// Waits until the log holds `count` events (of `topic`, or of all topics) and every consumer
    /// has committed them: `EmbeddedSystem.drain` can report idle a moment before a relay copies
    /// the last outbox rows.
    func quiesce(events count: Int, topic: Topic? = nil, timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        let log = system.events
        while true {
            let logged = try await log.tail(after: 0, topics: topic.map { [$0] }, limit: count + 1).count
            var lag: Int64 = 0
            for consumer in MetricGauge.standardConsumers { lag += try await log.lag(group: consumer.group, topic: consumer.topic) }
            if logged >= count, lag == 0 { return }
            guard ContinuousClock.now < deadline else {
                return XCTFail("the log has \(logged) events (lag \(lag)), expected \(count)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    func stop() async {
        await system.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func placeRequest(token: String = "tok_visa") -> PlaceOrderRequest {
        PlaceOrderRequest(items: [.init(productId: keyboard.id, quantity: 3), .init(productId: mouse.id, quantity: 2)],
                          shippingAddress: "1 Test Street", paymentMethod: .creditCard, paymentToken: token)
    }

    /// Waits for the asynchronous flow to settle the order's payment.
    func settled(_ orderId: Int64, until done: @escaping (Order) -> Bool = { $0.status.isTerminalForPayment }) async throws -> Order {
        try await system.waitForOrder(id: orderId, actor: Actor.system("test"), until: done)
    }
}

// MARK: - Client helpers

extension TestClientProtocol {
    func call(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: String? = nil,
              headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    func call(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, body: some Encodable,
              headers: HTTPFields = [:]) async throws -> TestResponse {
        let json = String(decoding: try JSONCoding.encoder.encode(body), as: UTF8.self)
        return try await call(method, uri, token: token, json: json, headers: headers)
    }

    func login(_ email: String, password: String = HTTPTestSystem.password) async throws -> TokenPair {
        let response = try await call(.post, "/api/auth/login", body: LoginRequest(email: email, password: password))
        XCTAssertEqual(response.status, .ok, response.text)
        return try response.decode(TokenPair.self)
    }

    func token(_ user: User) async throws -> String { try await login(user.email).accessToken }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    func decode<T: Decodable>(_ type: T.Type, file: StaticString = #filePath, line: UInt = #line) throws -> T {
        do {
            return try JSONCoding.decoder.decode(T.self, from: Data(body.readableBytesView))
        } catch {
            XCTFail("cannot decode \(T.self) from \(status.code) \(text): \(error)", file: file, line: line)
            throw error
        }
    }

    /// Asserts a problem+json response with the status and returns it.
    @discardableResult
    func problem(_ expected: Int, containing text: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> ProblemDetails {
        XCTAssertEqual(status.code, expected, self.text, file: file, line: line)
        XCTAssertEqual(headers[.contentType], "application/problem+json", file: file, line: line)
        let problem = try decode(ProblemDetails.self, file: file, line: line)
        XCTAssertEqual(problem.status, expected, file: file, line: line)
        XCTAssertFalse(problem.title.isEmpty, file: file, line: line)
        if let text {
            XCTAssertTrue(problem.detail.contains(text), "'\(problem.detail)' should mention '\(text)'", file: file, line: line)
        }
        return problem
    }

    func json(file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView))
        guard let dictionary = object as? [String: Any] else {
            XCTFail("expected a JSON object, got \(text)", file: file, line: line)
            return [:]
        }
        return dictionary
    }
}
