import Foundation
import Logging
import NIOCore
import OrderPayCore

/// The gateway's view of the registry: instances per app, refreshed every few seconds in the
/// background, handed out round-robin over the UP ones.
public final class ServiceDirectory: @unchecked Sendable {
    public struct Endpoint: Equatable, Sendable {
        public let instanceId: String
        public let host: String
        public let port: Int
        /// Built once, not on every proxied request.
        public let baseURL: String
        /// `host:port` as in a URL: the upstream pool's key.
        public let authority: String
        /// The Host header of a proxied request (`authority` without an IPv6 zone).
        public let hostHeader: String
        /// Parsed once when the host is an IP address (instances register theirs), so a new
        /// upstream connection needs no resolver.
        let socketAddress: SocketAddress?

        public init(instanceId: String, host: String, port: Int) {
            self.instanceId = instanceId; self.host = host; self.port = port
            authority = HostAddress.authority(host, port: port)
            hostHeader = HostAddress.hostHeader(host, port: port)
            baseURL = "http://" + authority
            socketAddress = try? SocketAddress(ipAddress: host, port: port)
        }
    }

    let client: EurekaClient
    let refreshInterval: Duration
    let logger: Logger
    private let lock = NSLock()
    private var endpoints: [String: [Endpoint]] = [:]
    private var counters: [String: Int] = [:]
    private var lastInstances: [EurekaInstance] = []

    public init(client: EurekaClient, refreshInterval: Duration = .seconds(2), logger: Logger) {
        self.client = client
        self.refreshInterval = refreshInterval
        self.logger = logger
    }

    /// Instances that failed a request lately (refused, dropped it, or did not answer in time),
    /// by authority, and until when they go last (nginx's `max_fails=1 fail_timeout=10s`): without
    /// it, an instance that hangs took every other request into the upstream timeout.
    private var failedUntil: [String: ContinuousClock.Instant] = [:]
    public static let failTimeout: Duration = .seconds(10)

    /// Up instances of `app`, starting with the next one in round-robin order; the rest follow
    /// so a caller can fail over. Instances that failed within `failTimeout` come last, still
    /// there for a request that finds no other.
    public func candidates(for app: String) -> [Endpoint] {
        lock.withLock {
            guard let all = endpoints[app], !all.isEmpty else { return [] }
            let start = counters[app, default: 0] % all.count
            counters[app] = start + 1
            // The stored array itself when it already starts there (one instance: every request).
            let ordered = start == 0 ? all : Array(all[start...] + all[..<start])
            guard !failedUntil.isEmpty, all.count > 1 else { return ordered }
            let now = ContinuousClock.now
            failedUntil = failedUntil.filter { $0.value > now }
            let failing = ordered.filter { failedUntil[$0.authority] != nil }
            return failing.isEmpty ? ordered : ordered.filter { failedUntil[$0.authority] == nil } + failing
        }
    }

    /// `endpoint` failed a request: it goes last for `failTimeout`.
    public func markFailed(_ endpoint: Endpoint) {
        lock.withLock { failedUntil[endpoint.authority] = .now + Self.failTimeout }
    }

    public var instances: [EurekaInstance] { lock.withLock { lastInstances } }

    /// When the last listing was fetched (or failed), and its error: what `/health` reports.
    private var lastOutcome: (at: NIODeadline, error: (any Error)?)?
    /// The listing `refreshIfOlder` is waiting for, shared by every caller meanwhile.
    private var inFlight: Task<Void, any Error>?

    /// The registry's state as of at most `age` ago: the last listing's outcome if it is that
    /// recent, else a new listing, one at a time however many callers ask. `GET /health` is
    /// anonymous and not rate-limited, and each one fetched the whole registry: a load balancer's
    /// or an attacker's checks became as many registry requests.
    public func refreshIfOlder(than age: TimeAmount) async throws {
        enum Plan { case known((any Error)?), wait(Task<Void, any Error>) }
        let plan: Plan = lock.withLock {
            if let last = lastOutcome, NIODeadline.now() - last.at < age { return .known(last.error) }
            if let inFlight { return .wait(inFlight) }
            let task = Task { try await self.refresh() }
            inFlight = task
            return .wait(task)
        }
        switch plan {
        case .known(let error): if let error { throw error }
        case .wait(let task):
            defer { lock.withLock { if inFlight == task { inFlight = nil } } }
            try await task.value
        }
    }

    public func refresh() async throws {
        let fetched: [EurekaInstance]
        do {
            fetched = try await client.instances()
        } catch {
            lock.withLock { lastOutcome = (.now(), error) }
            throw error
        }
        var grouped: [String: [Endpoint]] = [:]
        for instance in fetched where instance.status == InstanceStatus.up.rawValue {
            // Plain HTTP only: an instance that turned its HTTP port off (HTTPS only) cannot be proxied to.
            guard let port = instance.port, port.enabled else { continue }
            grouped[instance.app.uppercased(), default: []].append(
                Endpoint(instanceId: instance.resolvedInstanceId, host: instance.ipAddr ?? instance.hostName, port: port.value))
        }
        for key in grouped.keys { grouped[key]?.sort { $0.instanceId < $1.instanceId } }
        lock.withLock {
            endpoints = grouped
            lastInstances = fetched
            lastOutcome = (.now(), nil)
        }
    }

    /// Refreshes until cancelled; a registry that is down keeps the last known instances.
    public func run() async {
        while !Task.isCancelled {
            do { try await refresh() } catch {
                logger.warning("registry refresh failed; keeping the last known instances", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: refreshInterval)
        }
    }
}
