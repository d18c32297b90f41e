import Foundation
import Hummingbird
import OrderPayCore

/// One dependency the health endpoint probes; `probe` throws when the dependency is unusable.
public struct HealthCheck: Sendable {
    public let name: String
    public let probe: @Sendable () async throws -> Void

    public init(_ name: String, probe: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.probe = probe
    }
}

public struct HealthReport: Codable, Sendable, Equatable {
    public struct Check: Codable, Sendable, Equatable {
        public var status: String
        public var error: String?

        public init(status: String, error: String? = nil) { self.status = status; self.error = error }
    }

    public var status: String
    public var checks: [String: Check]

    public init(status: String, checks: [String: Check]) { self.status = status; self.checks = checks }

    public var isUp: Bool { status == "UP" }

    /// Runs every check at once, each given `timeout` before it counts as down: UP when all are.
    /// The registry's `/health` (not an `APIRouter` route) reports through this too, so every
    /// OrderPay process's health reads alike.
    public static func probe(_ checks: [HealthCheck], timeout: Duration = .seconds(2)) async -> HealthReport {
        let results = await withTaskGroup(of: (String, HealthReport.Check).self) { group in
            for check in checks {
                group.addTask { (check.name, await run(check, timeout: timeout)) }
            }
            return await group.reduce(into: [String: HealthReport.Check]()) { $0[$1.0] = $1.1 }
        }
        let up = results.values.allSatisfy { $0.status == "UP" }
        return HealthReport(status: up ? "UP" : "DOWN", checks: results)
    }
}

/// `GET /health` (public): `{status: "UP"|"DOWN", checks: {name: {status, error?}}}`, 503 when any
/// check fails. Each probe gets `timeout` before it counts as down.
public func addHealthRoute(to api: APIRouter, checks: [HealthCheck], timeout: Duration = .seconds(2)) {
    api.on(RouteDescriptor(method: .get, path: "/health", tag: "operations", summary: "Liveness and dependency checks",
                           access: .anonymous, response: .json("Health"))) { _, _ in
        let report = await HealthReport.probe(checks, timeout: timeout)
        return try .json(report, status: report.isUp ? .ok : .serviceUnavailable)
    }
}

private func run(_ check: HealthCheck, timeout: Duration) async -> HealthReport.Check {
    // Bounded even when the probe ignores cancellation (a task group would wait for it).
    switch await outcome(within: timeout, of: check.probe) {
    case .success: return HealthReport.Check(status: "UP")
    case .failure(let error as AppError): return HealthReport.Check(status: "DOWN", error: error.message)
    case .failure(let error): return HealthReport.Check(status: "DOWN", error: String(describing: error))
    case nil: return HealthReport.Check(status: "DOWN", error: "no answer within \(timeout)")
    }
}
