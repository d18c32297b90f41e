import Foundation
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
        public init(jwtSecret: String) { self.jwtSecret = jwtSecret }
    }

    public static func start(_ options: Options, logger: Logger) async throws -> RunningGateway {
        let client = EurekaClient(baseURL: options.registryURL)
        let directory = ServiceDirectory(client: client, refreshInterval: options.refreshInterval, logger: logger)
        do {
            try await directory.refresh()   // one listing: the reachability check and the first list
        } catch {
            throw client.startupError(error)
        }
        let tokens = TokenService(secret: options.jwtSecret, clock: SystemClock())
        let gateway = Gateway(directory: directory, tokens: tokens, settings: options.settings, logger: logger)
        let server: GatewayServer
        do {
            server = try await GatewayServer.start(gateway, host: options.host, port: options.port)
        } catch {
            throw RunningServer.explain(error, host: options.host, port: options.port)
        }
        let refresh = Task { await directory.run() }
        return RunningGateway(server: server, directory: directory, refresh: refresh)
    }
}

/// A gateway started in this process: its server and its registry refresh loop, stopped together.
public final class RunningGateway: @unchecked Sendable {
    public let server: GatewayServer
    /// Its view of the registry, refreshed in the background.
    public let directory: ServiceDirectory
    let refresh: Task<Void, Never>

    init(server: GatewayServer, directory: ServiceDirectory, refresh: Task<Void, Never>) {
        self.server = server; self.directory = directory; self.refresh = refresh
    }

    public var baseURL: String { server.baseURL }
    public var port: Int { server.port }

    /// Stops refreshing and stops the server (in-flight requests finish, for up to `grace`).
    public func stop(grace: Duration = .seconds(5)) async {
        refresh.cancel()
        await server.stop(grace: grace)
        await refresh.value
    }
}
