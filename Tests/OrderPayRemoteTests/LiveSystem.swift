import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import OrderPayConsole
import OrderPayCore
import OrderPayEmbedded
import OrderPayGateway
import OrderPayRemote
import OrderPayServer
import OrderPayServices
import XCTest

/// A real distributed OrderPay in this process: registry, auth, orders and payments services and
/// the gateway, each on its own loopback port picked by the kernel, on a fresh temporary data dir,
/// with an admin, a customer and two products.
final class LiveSystem: @unchecked Sendable {
    static let adminEmail = "admin@remote.test"
    static let adminPassword = "admin-password-1"
    static let customerEmail = "kim@remote.test"
    static let customerPassword = "customer-password-1"

    let directory: String
    let registry: RunningServer
    let eviction: Task<Void, Never>
    let auth: ServiceHost
    let orders: ServiceHost
    let payments: ServiceHost
    private(set) var gateway: RunningGateway
    let customer: User
    let keyboard: Product
    let mouse: Product

    var gatewayURL: String { gateway.baseURL }

    private init(directory: String, registry: RunningServer, eviction: Task<Void, Never>, auth: ServiceHost, orders: ServiceHost,
                 payments: ServiceHost, gateway: RunningGateway, customer: User,
                 keyboard: Product, mouse: Product) {
        self.directory = directory; self.registry = registry; self.eviction = eviction; self.auth = auth; self.orders = orders
        self.payments = payments; self.gateway = gateway; self.customer = customer
        self.keyboard = keyboard; self.mouse = mouse
    }

    static var logger: Logger {
        var logger = Logger(label: "remote-test")
        logger.logLevel = .critical
        return logger
    }

    static func start() async throws -> LiveSystem {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-remote-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var registryOptions = RegistryHost.Options(dataDirectory: directory)
        registryOptions.port = 0
        registryOptions.leaseDuration = 10
        registryOptions.renewalInterval = 2
        let (registry, eviction) = try await RegistryHost.start(registryOptions, logger: logger)

        func service(_ kind: ServiceKind) async throws -> ServiceHost {
            var options = ServiceHost.Options(service: kind, dataDirectory: directory)
            options.port = 0
            options.registryURL = registry.baseURL
            options.renewalInterval = 2
            options.bcryptCost = 4
            return try await ServiceHost.start(options, logger: logger)
        }
        let auth = try await service(.auth)
        let orders = try await service(.orders)
        let payments = try await service(.payments)
        let gateway = try await startGateway(directory: directory, registryURL: registry.baseURL, port: 0)

        let seed = Actor.system("remote-test")
        _ = try await auth.system.auth.createUser(actor: seed, CreateUserRequest(
            email: adminEmail, password: adminPassword, name: "Remote Admin", roles: [.admin, .user]))
        let customer = try await auth.system.auth.createUser(actor: seed, CreateUserRequest(
            email: customerEmail, password: customerPassword, name: "김민준", address: "1 Test Street"))
        let keyboard = try await orders.system.orders.createProduct(actor: seed, sku: "KB", name: "Keyboard", unitPrice: Money("19.99")!)
        let mouse = try await orders.system.orders.createProduct(actor: seed, sku: "MS", name: "Mouse", unitPrice: Money("0.10")!)
        return LiveSystem(directory: directory, registry: registry, eviction: eviction, auth: auth, orders: orders, payments: payments,
                          gateway: gateway, customer: customer, keyboard: keyboard, mouse: mouse)
    }

    /// The gateway as `orderpay serve gateway` starts it, without rate limiting unless `settings`
    /// (applied last) says otherwise.
    static func startGateway(directory: String, registryURL: String, port: Int,
                             settings: (inout Gateway.Settings) -> Void = { _ in }) async throws -> RunningGateway {
        var options = GatewayHost.Options(jwtSecret: try EmbeddedConfiguration(dataDirectory: directory).resolveJWTSecret())
        options.port = port
        options.registryURL = registryURL
        options.refreshInterval = .milliseconds(500)
        options.settings.rateLimit = 0
        settings(&options.settings)
        return try await GatewayHost.start(options, logger: logger)
    }

    /// Another gateway in front of the same services, on a port of its own, with `settings`.
    func startSecondGateway(settings: (inout Gateway.Settings) -> Void) async throws -> RunningGateway {
        try await Self.startGateway(directory: directory, registryURL: registry.baseURL, port: 0, settings: settings)
    }

    func stopGateway() async {
        await gateway.stop(grace: .milliseconds(200))
    }

    /// A new gateway on the port the old one had.
    func restartGateway() async throws {
        let port = gateway.port
        var lastError: Error?
        for _ in 0..<20 {
            do {
                gateway = try await Self.startGateway(directory: directory, registryURL: registry.baseURL, port: port)
                return
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        throw lastError!
    }

    func backend(options: RemoteBackend.Options = RemoteBackend.Options()) async throws -> RemoteBackend {
        try await RemoteBackend(gatewayURL: gatewayURL, email: Self.adminEmail, password: Self.adminPassword, options: options)
    }

    func newOrder(token: String = "tok_visa", quantity: Int = 3) -> OrderPayConsole.NewOrder {
        OrderPayConsole.NewOrder(userId: customer.id, items: [.init(productId: keyboard.id, quantity: quantity), .init(productId: mouse.id, quantity: 2)],
                 shippingAddress: "1 Test Street", paymentMethod: .creditCard, paymentToken: token)
    }

    func stop() async {
        await stopGateway()
        await payments.stop()
        await orders.stop()
        await auth.stop()
        eviction.cancel()
        await registry.stop(grace: .milliseconds(200))
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Runs `body` on a started system and always stops it.
func withLiveSystem(_ body: (LiveSystem) async throws -> Void) async throws {
    let system = try await LiveSystem.start()
    do {
        try await body(system)
    } catch {
        await system.stop()
        throw error
    }
    await system.stop()
}

/// Polls until `condition` returns a value or the timeout passes.
func eventually<T>(timeout: Duration = .seconds(15), _ what: String,
                   _ condition: () async throws -> T?) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let value = try await condition() { return value }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw AppError(.unavailable, "timed out waiting for: \(what)")
}

/// A port nothing listens on: bound by the kernel, then released.
func closedPort() -> Int { FreePort.find() }

/// A clock tests move forward.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var offset: TimeInterval = 0
    func advance(_ seconds: TimeInterval) { lock.withLock { offset += seconds } }
    func now() -> Date { Date().addingTimeInterval(lock.withLock { offset }) }
}

/// Collects what a callback reports, from any thread.
final class Recorder<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [T] = []
    func append(_ item: T) { lock.withLock { items.append(item) } }
    var all: [T] { lock.withLock { items } }
}
