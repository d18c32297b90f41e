import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import OrderPayCore
import OrderPayEmbedded
import OrderPayGateway
import OrderPayServer
import OrderPayServices
import OrderPayTestSupport
import XCTest

/// The distributed system for real: a registry, the auth, order and payment services and a
/// gateway, each an HTTP server on a free loopback port (port 0), on one temp data dir, with leases
/// of seconds so registry behaviour shows within a test. Seeded with an admin, two customers and
/// two products.
final class GatewayTestCluster: @unchecked Sendable {
    struct Options {
        var leaseSeconds: TimeInterval = 3
        var renewSeconds: TimeInterval = 0.5
        /// Off by default: the failover loop sends hundreds of requests as one user.
        var rateLimit: Double = 0
        var burst: Double = 1
        var refreshInterval: Duration = .milliseconds(200)
        /// How long a stopping service keeps serving after leaving the registry (none by default:
        /// most tests stop services only at their end).
        var drainDelay: Duration = .zero
        var services: [ServiceKind] = [.auth, .orders, .payments]
        /// The address every server listens on.
        var host = "127.0.0.1"
        /// The services' logger (default: the cluster's, silent unless ORDERPAY_TEST_LOG=1).
        var serviceLogger: Logger?
        /// Required by the registry; services and gateways get them in its URL.
        var registryCredentials: RegistryCredentials?
    }

    static let password = "password-1"

    let options: Options
    let directory: String
    let jwtSecret: String
    let logger: Logger
    private let lock = NSLock()
    private var registryServer: RunningServer?
    private var eviction: Task<Void, Never>?
    private var hosts: [ServiceHost] = []
    private var gateways: [RunningGateway] = []

    private(set) var admin: User!
    private(set) var customer: User!
    private(set) var other: User!
    private(set) var keyboard: Product!
    private(set) var mouse: Product!

    var registryURL: String { registryServer!.baseURL }
    /// What the cluster's services and gateways are given: with the credentials, if any.
    var registryURLForClients: String {
        guard let credentials = options.registryCredentials else { return registryURL }
        return registryURL.replacingOccurrences(of: "http://", with: "http://\(credentials.user):\(credentials.password)@")
    }
    /// The first gateway: the one most tests talk to.
    var gateway: RunningGateway { lock.withLock { gateways[0] } }
    var gatewayURL: String { gateway.baseURL }
    var services: [ServiceHost] { lock.withLock { hosts } }
    /// Every process of the cluster shares it on PostgreSQL runs (nil: SQLite in `directory`).
    private var database: String?

    private init(options: Options) throws {
        self.options = options
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-gw-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // What `orderpay serve gateway` does: the secret every process on the data dir shares.
        jwtSecret = try EmbeddedConfiguration(dataDirectory: directory).resolveJWTSecret()
        var logger = Logger(label: "gateway-test")
        logger.logLevel = ProcessInfo.processInfo.environment["ORDERPAY_TEST_LOG"] == "1" ? .info : .critical
        self.logger = logger
    }

    /// Starts a cluster, runs `body` on it, and stops every server and removes the data dir
    /// whether `body` succeeds or not.
    static func with(_ options: Options = Options(), _ body: (GatewayTestCluster) async throws -> Void) async throws {
        let cluster = try GatewayTestCluster(options: options)
        do {
            try await cluster.boot()
            try await body(cluster)
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    private func boot() async throws {
        let database = try await TestEngine.freshDatabase()
        lock.withLock { self.database = database }
        var registryOptions = RegistryHost.Options(dataDirectory: directory)
        registryOptions.database = database
        registryOptions.port = 0
        registryOptions.host = options.host
        registryOptions.leaseDuration = options.leaseSeconds
        registryOptions.renewalInterval = options.renewSeconds
        registryOptions.credentials = options.registryCredentials
        let (server, eviction) = try await RegistryHost.start(registryOptions, logger: logger)
        lock.withLock { registryServer = server; self.eviction = eviction }
        for kind in options.services { _ = try await startService(kind) }
        _ = try await startGateway()
        try await seed()
    }

    /// One more instance of a service, registered under its app name like the first.
    func startService(_ kind: ServiceKind) async throws -> ServiceHost {
        var serviceOptions = ServiceHost.Options(service: kind, dataDirectory: directory)
        serviceOptions.port = 0
        serviceOptions.host = options.host
        serviceOptions.registryURL = registryURLForClients
        serviceOptions.renewalInterval = options.renewSeconds
        serviceOptions.bcryptCost = 4
        serviceOptions.drainDelay = options.drainDelay
        serviceOptions.database = lock.withLock { database }
        let host = try await ServiceHost.start(serviceOptions, logger: options.serviceLogger ?? logger)
        lock.withLock { hosts.append(host) }
        return host
    }

    /// Another gateway on the same registry (e.g. with its own rate limit).
    func startGateway(rateLimit: Double? = nil, burst: Double? = nil, upstreamTimeout: TimeAmount = .seconds(10),
                      clientTimeout: TimeAmount = .seconds(60), upstreamIdleReuse: TimeAmount = .seconds(5),
                      bodyTimeout: TimeAmount = .seconds(120), maxBufferedBodyBytesPerLoop: Int = 64 << 20,
                      logger: Logger? = nil) async throws -> RunningGateway {
        var gatewayOptions = GatewayHost.Options(jwtSecret: jwtSecret)
        gatewayOptions.port = 0
        gatewayOptions.host = options.host
        gatewayOptions.registryURL = registryURLForClients
        gatewayOptions.refreshInterval = options.refreshInterval
        gatewayOptions.settings.rateLimit = rateLimit ?? options.rateLimit
        gatewayOptions.settings.rateBurst = burst ?? options.burst
        gatewayOptions.settings.upstreamTimeout = upstreamTimeout
        gatewayOptions.settings.clientTimeout = clientTimeout
        gatewayOptions.settings.upstreamIdleReuse = upstreamIdleReuse
        gatewayOptions.settings.bodyTimeout = bodyTimeout
        gatewayOptions.settings.maxBufferedBodyBytesPerLoop = maxBufferedBodyBytesPerLoop
        let gateway = try await GatewayHost.start(gatewayOptions, logger: logger ?? self.logger)
        lock.withLock { gateways.append(gateway) }
        return gateway
    }

    /// Stops one service instance (it deregisters on the way out) and forgets it.
    func stopService(_ host: ServiceHost, grace: Duration = .seconds(5)) async {
        lock.withLock { hosts.removeAll { $0 === host } }
        await host.stop(grace: grace)
    }

    /// Stops the registry (the services and gateways keep running on what they last saw).
    func stopRegistry() async {
        let (registry, eviction) = lock.withLock {
            defer { registryServer = nil; self.eviction = nil }
            return (registryServer, self.eviction)
        }
        eviction?.cancel()
        await registry?.stop(grace: .seconds(1))
    }

    /// Stops one gateway and forgets it.
    func stopGateway(_ gateway: RunningGateway, grace: Duration) async {
        lock.withLock { gateways.removeAll { $0 === gateway } }
        await gateway.stop(grace: grace)
    }

    func host(_ kind: ServiceKind) -> ServiceHost {
        services.first { $0.system.configuration.services == [kind] }!
    }

    private func seed() async throws {
        let root = Actor.system("gateway-test-setup")
        if options.services.contains(.auth) {
            let auth = host(.auth).system.auth
            admin = try await auth.createUser(actor: root, CreateUserRequest(
                email: "admin@example.com", password: Self.password, name: "Admin", roles: [.admin, .user]))
            customer = try await auth.signup(SignupRequest(email: "kim@example.com", password: Self.password, name: "김민준"))
            other = try await auth.signup(SignupRequest(email: "lee@example.com", password: Self.password, name: "이서연"))
        }
        if options.services.contains(.orders) {
            let orders = host(.orders).system.orders
            keyboard = try await orders.createProduct(actor: root, sku: "KB", name: "Keyboard", unitPrice: Money("19.99")!)
            mouse = try await orders.createProduct(actor: root, sku: "MS", name: "Mouse", unitPrice: Money("0.10")!)
        }
    }

    /// Gateways first (no new traffic), then services (they deregister), then the registry.
    func stop() async {
        let (gateways, hosts, registry, eviction) = lock.withLock {
            defer { self.gateways = []; self.hosts = []; registryServer = nil; self.eviction = nil }
            return (self.gateways, self.hosts, registryServer, self.eviction)
        }
        for gateway in gateways { await gateway.stop(grace: .seconds(1)) }
        for host in hosts.reversed() { await host.stop() }
        eviction?.cancel()
        await registry?.stop(grace: .seconds(1))
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: - Calls through the gateway

    func call(_ method: HTTPMethod, _ path: String, token: String? = nil, json: String? = nil,
              headers: [(String, String)] = [], on base: String? = nil) async throws -> Reply {
        try await Reply.send(method, (base ?? gatewayURL) + path, token: token, json: json, headers: headers)
    }

    func call(_ method: HTTPMethod, _ path: String, token: String? = nil, body: some Encodable,
              headers: [(String, String)] = [], on base: String? = nil) async throws -> Reply {
        let json = String(decoding: try JSONCoding.encoder.encode(body), as: UTF8.self)
        return try await call(method, path, token: token, json: json, headers: headers, on: base)
    }

    func login(_ user: User, file: StaticString = #filePath, line: UInt = #line) async throws -> TokenPair {
        let reply = try await call(.POST, "/api/auth/login", json: #"{"email":"\#(user.email)","password":"\#(Self.password)"}"#)
        XCTAssertEqual(reply.status, 200, reply.text, file: file, line: line)
        return try reply.decode(TokenPair.self, file: file, line: line)
    }

    func token(_ user: User) async throws -> String { try await login(user).accessToken }

    func placeOrder(token: String, paymentToken: String = "tok_visa", idempotencyKey: String? = nil) async throws -> Order {
        let body = PlaceOrderRequest(items: [.init(productId: keyboard.id, quantity: 2), .init(productId: mouse.id, quantity: 1)],
                                     shippingAddress: "1 Gateway Street", paymentMethod: .creditCard, paymentToken: paymentToken)
        let reply = try await call(.POST, "/api/orders", token: token, body: body,
                                   headers: idempotencyKey.map { [("Idempotency-Key", $0)] } ?? [])
        XCTAssertEqual(reply.status, 201, reply.text)
        return try reply.decode(Order.self)
    }

    /// Polls the order through the gateway (at most `timeout`) until `done` holds.
    func waitForOrder(_ id: Int64, token: String, timeout: Duration = .seconds(20),
                      until done: (Order) -> Bool = { $0.status.isTerminalForPayment }) async throws -> Order {
        let deadline = ContinuousClock.now + timeout
        while true {
            let reply = try await call(.GET, "/api/orders/\(id)", token: token)
            XCTAssertEqual(reply.status, 200, reply.text)
            let order = try reply.decode(Order.self)
            if done(order) { return order }
            guard ContinuousClock.now < deadline else {
                XCTFail("order \(id) still \(order.status.rawValue) after \(timeout)")
                return order
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Has the gateway re-read the registry at once (its /health only does so once a second),
    /// then checks it is healthy.
    func refreshGateway(_ gateway: RunningGateway? = nil) async throws {
        let gateway = gateway ?? self.gateway
        try await gateway.directory.refresh()
        let reply = try await call(.GET, "/health", on: gateway.baseURL)
        XCTAssertEqual(reply.status, 200, reply.text)
    }
}
