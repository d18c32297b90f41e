import Foundation

/// Eureka's instance statuses. Only UP instances are routed to.
public enum InstanceStatus: String, Codable, CaseIterable, Sendable {
    case starting = "STARTING", up = "UP", down = "DOWN", outOfService = "OUT_OF_SERVICE", unknown = "UNKNOWN"
}

public struct ServiceInstance: Codable, Equatable, Sendable {
    public var app: String
    public var instanceId: String
    public var host: String
    public var port: Int
    public var status: InstanceStatus
    public var registeredAt: Date
    public var lastRenewedAt: Date
    public var leaseExpiresAt: Date
    /// The lease the instance asked for (Eureka's `leaseInfo.durationInSecs`); nil: the registry's.
    public var leaseDuration: TimeInterval?
    /// The instance's own description as it registered it (Eureka's instance JSON: its URLs,
    /// metadata, secure port, data center), so a listing gives other clients what it said.
    public var descriptor: String?
    /// The status an operator set (Eureka's `overriddenStatus`): it outlasts the instance's own
    /// re-registrations, until it is removed or the instance is cancelled or evicted.
    public var overriddenStatus: InstanceStatus?

    /// The descriptor stays out of this type's JSON (`orderpay registry list --json`): up to 16 KB
    /// per instance, and shown in Eureka's own shape by the registry's listings.
    enum CodingKeys: String, CodingKey {
        case app, instanceId, host, port, status, overriddenStatus, registeredAt, lastRenewedAt, leaseExpiresAt, leaseDuration
    }

    public init(app: String, instanceId: String, host: String, port: Int, status: InstanceStatus,
                registeredAt: Date, lastRenewedAt: Date, leaseExpiresAt: Date,
                leaseDuration: TimeInterval? = nil, descriptor: String? = nil, overriddenStatus: InstanceStatus? = nil) {
        self.app = app; self.instanceId = instanceId; self.host = host; self.port = port; self.status = status
        self.registeredAt = registeredAt; self.lastRenewedAt = lastRenewedAt; self.leaseExpiresAt = leaseExpiresAt
        self.leaseDuration = leaseDuration; self.descriptor = descriptor
        self.overriddenStatus = overriddenStatus
    }
}

/// An instance as the gateway's `GET /api/registry` shows it: written by the gateway, read by the
/// remote console.
public struct RegistryInstanceView: Codable, Equatable, Sendable {
    public let app: String
    public let instanceId: String
    public let status: String
    /// host:port (`[::1]:8082` for an IPv6 address); `https://host:port` for an instance serving
    /// HTTPS only
    public let address: String
    public let lastHeartbeatAgeSeconds: Double?
    public let leaseExpiresInSeconds: Double?

    public init(app: String, instanceId: String, status: String, address: String,
                lastHeartbeatAgeSeconds: Double?, leaseExpiresInSeconds: Double?) {
        self.app = app; self.instanceId = instanceId; self.status = status; self.address = address
        self.lastHeartbeatAgeSeconds = lastHeartbeatAgeSeconds; self.leaseExpiresInSeconds = leaseExpiresInSeconds
    }
}
