import Foundation
import Hummingbird
import Logging
import OrderPayCore
import OrderPayGateway
import OrderPayHTTP
import OrderPayPostgres
import OrderPayServices
import OrderPayStore

/// `orderpay serve registry`: the Eureka-compatible registry on its own port, leases in the data dir.
public struct RegistryHost {
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port = 8761
        public var dataDirectory: String
        /// PostgreSQL URL; nil keeps the registry in the data dir's SQLite file.
        public var database: String?
        public var leaseDuration: TimeInterval = 90
        public var renewalInterval: TimeInterval = 30
        /// See `RunningServer.start`.
        public var idleTimeout: Duration = .seconds(60)
        /// Required of Eureka API clients when set (`RegistryCredentials`); nil leaves it open,
        /// as Eureka's own server is by default.
        public var credentials: RegistryCredentials?
        public init(dataDirectory: String) { self.dataDirectory = dataDirectory }
    }

    public static func start(_ options: Options, logger: Logger) async throws -> (RunningServer, Task<Void, Never>) {
        try DataDirectory.create(options.dataDirectory)
        let store: any RegistryRepository
        if let url = options.database {
            store = try await PostgresRegistryStore.open(try await PostgresDatabase.connect(url, logger: logger))
        } else {
            store = try SQLiteRegistryStore(path: (options.dataDirectory as NSString).appendingPathComponent("registry.sqlite"))
        }
        let registry = RegistryService(repository: store, clock: SystemClock(), leaseDuration: options.leaseDuration,
                                       renewalInterval: options.renewalInterval, logger: logger)
        try await registry.extendLeasesAfterRestart()
        let server = RegistryServer(registry: registry)
        // HEAD wherever GET is, as the services' APIRouter does: GET's answer without the body.
        let router = Router(options: .autoGenerateHeadEndpoints)
        let metrics = MetricsRegistry()
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.add(middleware: RegistryProblemMiddleware())
        if let credentials = options.credentials { router.add(middleware: RegistryAuthMiddleware(credentials: credentials)) }
        server.addRoutes(to: router)
        router.get("/metrics") { _, _ -> Response in
            let text = await metrics.render(gauges: [MetricGauge.registeredInstances(registry)])
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        // The services' report, {status, checks: {database: {status, error?}}}, so one reader
        // reads every process's (it was {status, database: "DOWN: …"} here). Within 2 s, as
        // theirs: with PostgreSQL down or the SQLite file locked, the store's answer took 5 to
        // 20 s, and a health check that hangs looks like a dead process.
        let checks = [HealthCheck("database") { _ = try await registry.instances() }]
        router.get("/health") { _, _ -> Response in
            let report = await HealthReport.probe(checks)
            return try JSONResponses.json(report, status: report.isUp ? .ok : .serviceUnavailable)
        }
        let running = try await RunningServer.start(responder: router.buildResponder(), host: options.host, port: options.port,
                                                    name: "orderpay-registry", idleTimeout: options.idleTimeout, logger: logger)
        let eviction = Task { await server.runEviction(every: .seconds(max(1, options.leaseDuration / 3))) }
        return (running, eviction)
    }
}
