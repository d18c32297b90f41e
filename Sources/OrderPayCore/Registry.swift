import Foundation

public enum InstanceStatus: String, Codable, CaseIterable, Sendable {
    case starting = "STARTING", up = "UP", down = "DOWN", outOfService = "OUT_OF_SERVICE"
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

    public init(app: String, instanceId: String, host: String, port: Int, status: InstanceStatus,
                registeredAt: Date, lastRenewedAt: Date, leaseExpiresAt: Date) {
        self.app = app; self.instanceId = instanceId; self.host = host; self.port = port; self.status = status
        self.registeredAt = registeredAt; self.lastRenewedAt = lastRenewedAt; self.leaseExpiresAt = leaseExpiresAt
    }
}
