import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import OrderPayCore
import OrderPayGateway
import OrderPayServices

/// `orderpay serve gateway`: routes /api/** to service instances found in the registry.
public struct GatewayHost {
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port = 8000
        public var registryURL = "http://127.0.0.1:8761"
        public var jwtSecret: String
        public var settings = Gateway.Settings()
        public var refreshInterval: Duration = .seconds(2)
        /// How long to wait for an instance to accept a connection before trying the next one.
        public var connectTimeout: TimeAmount = .seconds(2)
        public init(jwtSecret: String) { self.jwtSecret = jwtSecret }
    }

    public static func start(_ options: Options, logger: Logger) async throws -> RunningGateway {
        let directory = ServiceDirectory(client: EurekaClient(baseURL: options.registryURL), refreshInterval: options.refreshInterval, logger: logger)
        do {
            try await directory.refresh()
        } catch {
            throw AppError(.unavailable, "registry at \(options.registryURL) is unreachable; start it first (orderpay serve registry)")
        }
        let tokens = TokenService(secret: options.jwtSecret, clock: SystemClock())
        // Its own client: the shared one allows only 8 connections per upstream host, which
        // queues requests under load.
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 512)
        // A refused or unreachable instance must fail fast so the gateway moves on to the next
        // one: by default the client retries connecting with backoff until its 10 s connect
        // timeout, which stalled every request routed to a stopped instance for 10 s.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = options.connectTimeout
        // No client spans: the gateway propagates traceparent itself, and the default (no-op)
        // tracer still parsed every request's URL a second time to fill in span attributes.
        configuration.tracing.tracer = nil
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration, backgroundActivityLogger: logger)
        let gateway = Gateway(directory: directory, tokens: tokens, settings: options.settings, http: http, logger: logger)
        let running: RunningServer
        do {
            running = try await RunningServer.start(responder: GatewayServer.router(gateway: gateway).buildResponder(),
                                                    host: options.host, port: options.port, name: "orderpay-gateway", logger: logger)
        } catch {
            try? await http.shutdown()
            throw error
        }
        let refresh = Task { await directory.run() }
        return RunningGateway(server: running, refresh: refresh, http: http)
    }
}

/// A gateway started in this process: its server, its registry refresh loop and its own HTTP
/// client, stopped together (an HTTP client dropped without `shutdown()` leaks its connections and
/// traps in debug builds).
public final class RunningGateway: @unchecked Sendable {
    public let server: RunningServer
    let refresh: Task<Void, Never>
    let http: HTTPClient

    init(server: RunningServer, refresh: Task<Void, Never>, http: HTTPClient) {
        self.server = server; self.refresh = refresh; self.http = http
    }

    public var baseURL: String { server.baseURL }
    public var port: Int { server.port }

    /// Stops refreshing, stops the server (in-flight requests finish), then closes the upstream connections.
    public func stop(grace: Duration = .seconds(5)) async {
        refresh.cancel()
        await server.stop(grace: grace)
        await refresh.value
        try? await http.shutdown()
    }
}
