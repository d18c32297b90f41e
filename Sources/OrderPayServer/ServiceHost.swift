import Foundation
import Hummingbird
import Logging
import OrderPayCore
import OrderPayEmbedded
import OrderPayGateway
import OrderPayHTTP
import OrderPayServices

/// `orderpay serve auth|orders|payments`: one service's REST API on its own port, with that
/// service's outbox relay and event consumers, registered with the registry over Eureka's API.
public final class ServiceHost: @unchecked Sendable {
    public struct Options: Sendable {
        public var service: ServiceKind
        public var host = "127.0.0.1"
        public var port: Int
        public var dataDirectory: String
        public var registryURL: String? = "http://127.0.0.1:8761"
        public var renewalInterval: TimeInterval = 30
        public var bcryptCost: UInt8 = 10
        /// See `RunningServer.start`.
        public var idleTimeout: Duration = .seconds(60)
        /// How long a stopping service keeps serving after leaving the registry, so gateways
        /// (which refresh every 2 s by default) stop sending it requests before it closes its
        /// connections: a request sent on a connection being closed would be lost (a 502).
        public var drainDelay: Duration = .seconds(3)
        /// PostgreSQL URL and Kafka brokers (nil: SQLite and the SQL event log in the data dir).
        public var database: String?
        public var kafka: String?
        public var kafkaProperties: [String: String] = [:]

        public init(service: ServiceKind, dataDirectory: String) {
            self.service = service
            self.dataDirectory = dataDirectory
            port = ServiceHost.defaultPort(service)
        }
    }

    public static func defaultPort(_ service: ServiceKind) -> Int {
        switch service {
        case .auth: 8081
        case .orders: 8082
        case .payments: 8083
        }
    }

    public let system: EmbeddedSystem
    public let server: RunningServer
    let drainDelay: Duration

    init(system: EmbeddedSystem, server: RunningServer, drainDelay: Duration) {
        self.system = system
        self.server = server
        self.drainDelay = drainDelay
    }

    public static func start(_ options: Options, logger: Logger) async throws -> ServiceHost {
        var configuration = EmbeddedConfiguration(dataDirectory: options.dataDirectory)
        configuration.services = [options.service]
        configuration.startWorkers = false
        configuration.bcryptCost = options.bcryptCost
        configuration.database = options.database
        configuration.kafka = options.kafka
        configuration.kafkaProperties = options.kafkaProperties
        configuration.advertisedHost = HostAddress.reachable(options.host)
        if let url = options.registryURL {
            let client = EurekaClient(baseURL: url, renewalInterval: options.renewalInterval)
            try await client.requireReachable()
            configuration.registrar = client
            let services = PeerServices(directory: ServiceDirectory(client: client, logger: logger))
            configuration.accounts = RemoteAccountDirectory(services: services)
            configuration.deadLetterHandover = RegistryDeadLetterHandover(services: services)
        }
        let system = try await EmbeddedSystem.start(configuration, logger: logger)
        let tokens = TokenService(secret: try configuration.resolveJWTSecret(), clock: configuration.clock)
        let api = APIRouter()
        mount(options.service, system: system, tokens: tokens, on: api)
        let server = try await RunningServer.start(responder: api.buildResponder(), host: options.host, port: options.port,
                                                   name: "orderpay-\(options.service.rawValue)", idleTimeout: options.idleTimeout, logger: logger)
        do {
            try await system.startWorkers(advertisingPort: server.port)
        } catch {
            await server.stop()
            throw error
        }
        return ServiceHost(system: system, server: server, drainDelay: options.drainDelay)
    }

    /// Leaves the registry and keeps serving for the drain delay, so gateways stop routing here;
    /// then stops accepting requests, lets in-flight requests finish (for up to `grace`) and
    /// in-flight events too.
    public func stop(grace: Duration = .seconds(5)) async {
        await system.deregister()
        if drainDelay > .zero { try? await Task.sleep(for: drainDelay) }
        await server.stop(grace: grace)
        await system.stop()
    }

    static func mount(_ service: ServiceKind, system: EmbeddedSystem, tokens: TokenService, on api: APIRouter) {
        var checks: [HealthCheck] = []
        var gauges: [MetricGauge] = []
        switch service {
        case .auth:
            addAuthRoutes(to: api, auth: system.auth, tokens: tokens)
            addUserRoutes(to: api, auth: system.auth, tokens: tokens)
            addProfileImageRoutes(to: api, auth: system.auth, tokens: tokens,
                                  store: ProfileImageStore(dataDirectory: system.configuration.dataDirectory))
            checks.append(HealthCheck("database") { _ = try await system.auth.countUsers() })
        case .orders:
            addOrderRoutes(to: api, orders: system.orders, tokens: tokens)
            addProductRoutes(to: api, orders: system.orders, tokens: tokens)
            addEventRoutes(to: api, events: system.events, tokens: tokens) { try await system.replayDeadLetter($0) }
            checks.append(HealthCheck("database") { _ = try await system.orders.countByStatus() })
            gauges.append(.ordersByStatus(system.orders))
            gauges.append(.consumerLag(system.events, consumers: [(OrderService.consumerGroup, .paymentProcessed)]))
        case .payments:
            addPaymentRoutes(to: api, payments: system.payments, tokens: tokens)
            // The gateway sends /api/events to the order service; here for the replays it hands
            // over of dead letters of the payment-service group, which runs only here.
            addEventRoutes(to: api, events: system.events, tokens: tokens) { try await system.replayDeadLetter($0) }
            checks.append(HealthCheck("database") { _ = try await system.payments.countByStatus() })
            gauges.append(.paymentsByStatus(system.payments))
            gauges.append(.consumerLag(system.events, consumers: [(PaymentService.consumerGroup, .orderCreated),
                                                                   (PaymentService.consumerGroup, .orderStatusUpdated)]))
        }
        checks.append(HealthCheck("eventLog") { _ = try await system.events.endOffset(topic: .orderCreated) })
        addHealthRoute(to: api, checks: checks)
        addMetricsRoute(to: api, gauges: gauges)
        addOpenAPIRoute(to: api, title: "OrderPay \(service.rawValue) service")
    }
}
