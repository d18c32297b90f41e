import Foundation
import Logging
import OrderPayServer

/// A registry of its own on a free port with one instance registered through Eureka's API:
/// BILLING's `billing-1`. For tests of the registry's HTTP surface.
struct BillingRegistry {
    let server: RunningServer
    let eviction: Task<Void, Never>
    var baseURL: String { "http://127.0.0.1:\(server.port)" }
    static let app = "BILLING", instanceId = "billing-1"

    /// - Parameter name: the logger's label.
    static func start(_ name: String, dataDirectory: String) async throws -> BillingRegistry {
        var options = RegistryHost.Options(dataDirectory: dataDirectory)
        options.port = 0
        var logger = Logger(label: name)
        logger.logLevel = .critical
        let (server, eviction) = try await RegistryHost.start(options, logger: logger)
        let registry = BillingRegistry(server: server, eviction: eviction)
        try await Reply.send(.POST, "\(registry.baseURL)/eureka/apps/\(app)",
                             json: #"{"instance":{"instanceId":"billing-1","hostName":"billing.internal","app":"BILLING","ipAddr":"127.0.0.1","status":"UP","port":{"$":9}}}"#)
            .expect(204)
        return registry
    }

    func stop() async {
        eviction.cancel()
        await server.stop()
    }
}
