import Foundation
import OrderPayCore

/// How a running service announces itself: straight to an in-process `RegistryService`, or to a
/// registry server over HTTP (Eureka's REST API). Renewing an instance the registry no longer
/// knows throws `notFound`, and the caller registers again.
public protocol ServiceRegistrar: Sendable {
    var renewalInterval: TimeInterval { get }
    func register(app: String, instanceId: String, host: String, port: Int) async throws
    func renew(app: String, instanceId: String) async throws
    func cancel(app: String, instanceId: String) async throws
}

/// Registration with the registry in this process (embedded mode).
public struct LocalRegistrar: ServiceRegistrar {
    public let registry: RegistryService
    public init(_ registry: RegistryService) { self.registry = registry }

    public var renewalInterval: TimeInterval { registry.renewalInterval }

    public func register(app: String, instanceId: String, host: String, port: Int) async throws {
        try await registry.register(app: app, instanceId: instanceId, host: host, port: port, status: .up)
    }

    public func renew(app: String, instanceId: String) async throws {
        try await registry.renew(app: app, instanceId: instanceId)
    }

    public func cancel(app: String, instanceId: String) async throws {
        try await registry.cancel(app: app, instanceId: instanceId)
    }
}

public enum ServiceKind: String, CaseIterable, Sendable {
    case auth, orders, payments

    /// The application name the service registers under (the seed's Eureka names).
    public var appName: String {
        switch self {
        case .auth: "AUTH-SERVICE"
        case .orders: "ORDER-SERVICE"
        case .payments: "PAYMENT-SERVICE"
        }
    }
}
