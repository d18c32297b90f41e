import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
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
        public init(jwtSecret: String) { self.jwtSecret = jwtSecret }
    }

    public static func start(_ options: Options, logger: Logger) async throws -> (RunningServer, Task<Void, Never>) {
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
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration, backgroundActivityLogger: logger)
        let gateway = Gateway(directory: directory, tokens: tokens, settings: options.settings, http: http, logger: logger)
        let running = try await RunningServer.start(responder: GatewayServer.router(gateway: gateway).buildResponder(),
                                                    host: options.host, port: options.port, name: "orderpay-gateway", logger: logger)
        let refresh = Task { await directory.run() }
        return (running, refresh)
    }
}
