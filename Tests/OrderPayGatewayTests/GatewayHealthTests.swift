import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import OrderPayCore
import OrderPayServices
import OrderPayServer
import OrderPayTestSupport
import XCTest

/// The gateway's /health and /api/registry against the registry they report on.
final class GatewayHealthTests: XCTestCase {
    static let secret = String(repeating: "health-test-secret-", count: 3)

    /// A gateway on a scripted registry with no instances, listed in the background only once
    /// (so every later registry request was made for a call); `registryRequests` counts them.
    /// While `failing` holds, the registry answers 500.
    private func withGateway(logger: Logger? = nil, failing: NIOLockedValueBox<Bool> = NIOLockedValueBox(false),
                             _ body: (_ gateway: RunningGateway, _ registryRequests: @escaping () -> Int) async throws -> Void) async throws {
        let listing = #"{"applications":{"versions__delta":"1","apps__hashcode":"","application":[]}}"#
        let registry = try await ScriptedUpstream.start { _ in
            failing.withLockedValue { $0 } ? "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"
                : "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(listing.utf8.count)\r\n\r\n\(listing)"
        }
        var options = GatewayHost.Options(jwtSecret: Self.secret)
        options.port = 0
        options.registryURL = "http://127.0.0.1:\(registry.port)"
        options.refreshInterval = .seconds(3600)
        var quiet = Logger(label: "health-test")
        quiet.logLevel = .critical
        let gateway = try await GatewayHost.start(options, logger: logger ?? quiet)
        do {
            try await Task.sleep(for: .milliseconds(200))   // the first background listing
            try await body(gateway) { registry.received.components(separatedBy: "GET /eureka/apps").count - 1 }
        } catch {
            await gateway.stop(grace: .seconds(1))
            await registry.stop()
            throw error
        }
        await gateway.stop(grace: .seconds(1))
        await registry.stop()
    }

    /// The gateway's /health reads as every other process's: its one check is the registry.
    func testHealthIsShapedAsTheServicesAndSaysWhyTheRegistryIsDown() async throws {
        let failing = NIOLockedValueBox(false)
        try await withGateway(failing: failing) { gateway, _ in
            let up = try await Reply.send(.GET, gateway.baseURL + "/health").expect(200)
            XCTAssertEqual(try up.json() as NSDictionary, ["status": "UP", "checks": ["registry": ["status": "UP"]]] as NSDictionary)
            // Once the listing is over a second old, the check asks the registry again.
            failing.withLockedValue { $0 = true }
            try await Task.sleep(for: .milliseconds(1200))
            let down = try await Reply.send(.GET, gateway.baseURL + "/health")
            XCTAssertEqual(down.status, 503, down.text)
            let check = try XCTUnwrap((try down.json()["checks"] as? [String: Any])?["registry"] as? [String: Any], down.text)
            XCTAssertEqual(check["status"] as? String, "DOWN")
            XCTAssertFalse((check["error"] as? String ?? "").isEmpty, down.text)
        }
    }

    /// `callers` concurrent callers, `each` calls apiece.
    private func concurrently(_ callers: Int, _ each: Int, _ call: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<callers {
                group.addTask { for _ in 0..<each { try await call() } }
            }
            try await group.waitForAll()
        }
    }

    /// Every `GET /health` (anonymous, never rate-limited) fetched the whole registry: 58k checks,
    /// 58k registry requests. Now it reports on a listing at most about a second old, and checks
    /// arriving together share one fetch.
    func testHealthChecksDoNotEachFetchTheRegistry() async throws {
        try await withGateway { gateway, registryRequests in
            let before = registryRequests()
            try await concurrently(4, 25) { try await Reply.send(.GET, gateway.baseURL + "/health").expect(200) }
            let fetched = registryRequests() - before
            XCTAssertLessThanOrEqual(fetched, 3, "100 health checks made \(fetched) registry requests")
        }
    }

    /// `/api/registry` (the console's Registry pane, every few seconds per console) shares the
    /// listing too, instead of one registry request per call.
    func testRegistryViewsShareOneRecentListing() async throws {
        let admin = User(id: 1, email: "admin@example.com", name: "Admin", roles: [.admin], createdAt: Date(), updatedAt: Date())
        let token = try await TokenService(secret: Self.secret, clock: SystemClock()).issueAccessToken(for: admin)
        try await withGateway { gateway, registryRequests in
            let before = registryRequests()
            // Four consoles at once, five views each.
            try await concurrently(4, 5) {
                try await Reply.send(.GET, gateway.baseURL + "/api/registry", headers: [("Authorization", "Bearer \(token)")]).expect(200)
            }
            let fetched = registryRequests() - before
            XCTAssertLessThanOrEqual(fetched, 2, "20 registry views made \(fetched) registry requests")
        }
    }

    /// `orderpay up` checks every child's /health every 5 s: a check that passes is a debug line,
    /// not one of the access log's info lines; anything else stays info.
    func testPassingHealthChecksAreLoggedAtDebugLevel() async throws {
        let log = CapturedLog()
        var logger = Logger(label: "health-log-test") { _ in log.handler }
        logger.logLevel = .debug
        try await withGateway(logger: logger) { gateway, _ in
            try await Reply.send(.GET, gateway.baseURL + "/health").expect(200)
            try await Reply.send(.GET, gateway.baseURL + "/nowhere").expect(404)
        }
        let levels = Dictionary(log.messages.filter { $0.message.hasPrefix("GET /") }.map { ($0.message, $0.level) }) { first, _ in first }
        XCTAssertEqual(levels["GET /health 200"], .debug, "\(levels)")
        XCTAssertEqual(levels["GET /nowhere 404"], .info, "\(levels)")
    }
}
