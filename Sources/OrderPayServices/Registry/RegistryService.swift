import Foundation
import Logging
import OrderPayCore

public protocol RegistryRepository: Sendable {
    /// Registers, or re-registers keeping the registration time and any status override (which
    /// wins over the instance's UP or OUT_OF_SERVICE, as on Eureka; DOWN, STARTING and UNKNOWN
    /// are the instance's own word and stand). Returns the instance as stored.
    @discardableResult
    func upsert(_ instance: ServiceInstance) async throws -> ServiceInstance
    func all() async throws -> [ServiceInstance]
    /// Renews in one statement (a re-registration meanwhile is not undone by a stale copy):
    /// renewed now, for the instance's own lease or else `defaultLease`. Nil: not registered.
    func renew(app: String, instanceId: String, at now: Date, defaultLease: TimeInterval) async throws -> ServiceInstance?
    /// Sets the status in one statement, as an override that outlasts re-registrations or (not
    /// `overriding`) removing the override. Nil: not registered.
    func setStatus(app: String, instanceId: String, status: InstanceStatus, overriding: Bool) async throws -> ServiceInstance?
    /// Replaces the instance's description with `change(instance)` (the instance as stored, read
    /// in the same atomic step: a concurrent renewal or status change is not undone by a stale
    /// copy). Nil: not registered.
    func changeDescriptor(app: String, instanceId: String, _ change: @escaping @Sendable (ServiceInstance) throws -> String) async throws -> ServiceInstance?
    func remove(app: String, instanceId: String) async throws -> Bool
    /// Removes every instance whose lease ended before `now`; returns them.
    func evict(expiredBefore now: Date) async throws -> [ServiceInstance]
}

/// Service discovery with leases: an instance that stops renewing is evicted when its lease ends.
public final class RegistryService: Sendable {
    public let leaseDuration: TimeInterval
    public let renewalInterval: TimeInterval
    let repository: any RegistryRepository
    let clock: any Clock
    let logger: Logger

    public init(repository: any RegistryRepository, clock: any Clock, leaseDuration: TimeInterval = 90, renewalInterval: TimeInterval = 30,
                logger: Logger = Logger(label: "orderpay.registry")) {
        self.repository = repository
        self.clock = clock
        self.logger = logger
        self.leaseDuration = leaseDuration
        self.renewalInterval = renewalInterval
    }

    /// The longest description an instance may register with (Spring's is about 1.5 KB).
    public static let maxDescriptorBytes = 16 * 1024
    /// The longest lease an instance may ask for.
    public static let longestLease: TimeInterval = 86_400

    /// Registers (or re-registers) an instance. `leaseDuration`: the lease it asks for, 1 s to a
    /// day (nil: the registry's); `descriptor`: its own description, kept for listings.
    @discardableResult
    public func register(app: String, instanceId: String, host: String, port: Int, status: InstanceStatus = .up,
                         leaseDuration ownLease: TimeInterval? = nil, descriptor: String? = nil) async throws -> ServiceInstance {
        // A lease asked for is kept to 1 s – 1 day: refusing a longer one would keep that client
        // from registering at all (Eureka takes any), and a dead instance still goes within a day.
        let ownLease = ownLease.map { $0.isFinite ? min(max($0, 1), Self.longestLease) : Self.longestLease }
        var v = Validator()
        v.check((descriptor?.utf8.count ?? 0) <= Self.maxDescriptorBytes, "instance", "instance JSON must be at most 16 KB")
        v.check(app.range(of: #"^[A-Za-z0-9._-]{1,64}$"#, options: .regularExpression) != nil, "app", "app must be 1–64 letters, digits, '.', '_' or '-'")
        v.check(!instanceId.isEmpty && instanceId.unicodeScalars.count <= 200, "instanceId", "instanceId must be 1–200 characters")
        v.checkPrintable(instanceId, "instanceId")
        // Shown by listings and `orderpay registry list`, and connected to by gateways.
        v.check(!host.isEmpty && host.utf8.count <= 255 && !host.contains(where: \.isWhitespace) && !host.containsControlCharacters,
                "ipAddr", "the instance's address must be 1–255 characters without spaces or control characters")
        v.check((0...65535).contains(port), "port", "port must be 0–65535")
        try v.throwIfInvalid()
        let now = clock.now()
        let instance = ServiceInstance(app: app.uppercased(), instanceId: instanceId, host: host, port: port, status: status,
                                       registeredAt: now, lastRenewedAt: now, leaseExpiresAt: now + (ownLease ?? leaseDuration),
                                       leaseDuration: ownLease, descriptor: descriptor)
        return try await repository.upsert(instance)
    }

    /// Renews a lease; an unknown (e.g. evicted) instance gets notFound so its client re-registers.
    @discardableResult
    public func renew(app: String, instanceId: String) async throws -> ServiceInstance {
        guard let instance = try await repository.renew(app: app.uppercased(), instanceId: instanceId, at: clock.now(),
                                                        defaultLease: leaseDuration) else {
            throw AppError.notFound("instance \(instanceId) of \(app.uppercased()) is not registered")
        }
        return instance
    }

    /// An operator's status for the instance (`PUT …/status`): it stands until removed, whatever
    /// UP or OUT_OF_SERVICE the instance registers itself with again.
    public func overrideStatus(app: String, instanceId: String, status: InstanceStatus) async throws -> ServiceInstance {
        try await setStatus(app: app, instanceId: instanceId, status: status, overriding: true)
    }

    /// Ends an override (`DELETE …/status`), leaving the instance at `status`.
    public func removeStatusOverride(app: String, instanceId: String, status: InstanceStatus) async throws -> ServiceInstance {
        try await setStatus(app: app, instanceId: instanceId, status: status, overriding: false)
    }

    private func setStatus(app: String, instanceId: String, status: InstanceStatus, overriding: Bool) async throws -> ServiceInstance {
        guard let instance = try await repository.setStatus(app: app.uppercased(), instanceId: instanceId, status: status,
                                                            overriding: overriding) else {
            throw AppError.notFound("instance \(instanceId) of \(app.uppercased()) is not registered")
        }
        return instance
    }

    /// Changes the instance's own description (Eureka's `PUT …/metadata`), kept to the same
    /// 16 KB as a registration's. It lasts until the instance registers its own again.
    @discardableResult
    public func changeDescriptor(app: String, instanceId: String,
                                 _ change: @escaping @Sendable (ServiceInstance) throws -> String) async throws -> ServiceInstance {
        let limited: @Sendable (ServiceInstance) throws -> String = { stored in
            let new = try change(stored)
            guard new.utf8.count <= Self.maxDescriptorBytes else {
                throw AppError.validation("the change would make the instance's description larger than its 16 KB", field: "instance")
            }
            return new
        }
        guard let instance = try await repository.changeDescriptor(app: app.uppercased(), instanceId: instanceId, limited) else {
            throw AppError.notFound("instance \(instanceId) of \(app.uppercased()) is not registered")
        }
        return instance
    }

    public func cancel(app: String, instanceId: String) async throws {
        guard try await repository.remove(app: app.uppercased(), instanceId: instanceId) else {
            throw AppError.notFound("instance \(instanceId) of \(app.uppercased()) is not registered")
        }
    }

    /// Every live instance, after evicting expired leases.
    public func instances(app: String? = nil) async throws -> [ServiceInstance] {
        _ = try await evictExpired()
        let all = try await repository.all()
        guard let app else { return all }
        return all.filter { $0.app == app.uppercased() }
    }

    /// For a registry that starts on leases stored before it stopped: every one gets a full lease
    /// from now to be renewed in. While the registry was down no instance could renew, so leases
    /// that ran out meanwhile say nothing about the instance; evicting them at once would empty
    /// every gateway's directory until the instances' next renewals (up to 30 s). Instances that
    /// are really gone are evicted a lease later. (Eureka's self-preservation, kept simple.)
    public func extendLeasesAfterRestart() async throws {
        let now = clock.now()
        for var instance in try await repository.all() where instance.leaseExpiresAt < now + lease(of: instance) {
            instance.leaseExpiresAt = now + lease(of: instance)
            try await repository.upsert(instance)
        }
    }

    /// The instance's own lease if it asked for one, else the registry's.
    public func lease(of instance: ServiceInstance) -> TimeInterval { instance.leaseDuration ?? leaseDuration }

    public func evictExpired() async throws -> [ServiceInstance] {
        let evicted = try await repository.evict(expiredBefore: clock.now())
        for instance in evicted {
            logger.info("lease expired; instance evicted", metadata: ["app": "\(instance.app)", "instanceId": "\(instance.instanceId)"])
        }
        return evicted
    }
}
