import Foundation
import OrderPayCore

// Shapes the gateway sends that have no type in OrderPayCore (their types live in the server
// modules this target does not link), decoded here and mapped onto the console's types.

/// One entry of `GET /api/events/dead-letters`.
struct DeadLetterBody: Decodable {
    var id: Int64
    var group: String
    var event: EventEnvelope
    var error: String
    var attempts: Int
    var failedAt: Date?
    var replayedAt: Date?
}

extension RegistryInstanceView {
    /// The gateway's view of an instance as the console's registry pane wants it.
    func instance(now: Date) -> ServiceInstance {
        var host = address, port = 0
        if let colon = address.lastIndex(of: ":"), let parsed = Int(address[address.index(after: colon)...]) {
            host = String(address[..<colon]); port = parsed
        }
        let renewed = now.addingTimeInterval(-(lastHeartbeatAgeSeconds ?? 0))
        return ServiceInstance(app: app, instanceId: instanceId, host: host, port: port,
                               status: InstanceStatus(rawValue: status.uppercased()) ?? .down,
                               // The gateway does not report the registration time; the last renewal is the best bound.
                               registeredAt: renewed, lastRenewedAt: renewed,
                               leaseExpiresAt: now.addingTimeInterval(leaseExpiresInSeconds ?? 0))
    }
}

/// `GET /api/events?topic=…`: only the part the stream's backlog needs.
struct EventPageHead: Decodable {
    var endOffset: Int64
}

struct EventPageEvents: Decodable {
    var events: [EventEnvelope]
}

struct CreateUserBody: Encodable {
    var email: String
    var password: String
    var name: String
    var roles: [OrderPayCore.Role]
}

struct RolesBody: Encodable { var roles: [OrderPayCore.Role] }
struct StatusBody: Encodable { var status: UserStatus }
struct RetryBody: Encodable { var paymentToken: String? }
struct RefundBody: Encodable { var reason: String }
