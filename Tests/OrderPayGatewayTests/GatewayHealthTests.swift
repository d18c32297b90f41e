import Foundation
import Logging
import NIOCore
import OrderPayCore
import OrderPayServices
import OrderPayServer
import OrderPayTestSupport
import XCTest

/// The gateway's /health against the registry it reports on.
final class GatewayHealthTests: XCTestCase {
    /// Every `GET /health` (anonymous, never rate-limited) fetched the whole registry: 58k checks,
    /// 58k registry requests. Now it reports on a listing at most about a second old, and checks
    /// arriving together share one fetch.
    func testHealthChecksDoNotEachFetchTheRegistry() async throws {
        let listing = #"{"applications":{"versions__delta":"1","apps__hashcode":"","application":[]}}"#
        let registry = try await ScriptedUpstream.start { _ in
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(listing.utf8.count)\r\n\r\n\(listing)"
        }
        var options = GatewayHost.Options(jwtSecret: String(repeating: "health-test-secret-", count: 3))
        options.port = 0
        options.registryURL = "http://127.0.0.1:\(registry.port)"
        options.refreshInterval = .seconds(3600)   // only the first background listing
        var logger = Logger(label: "health-test")
        logger.logLevel = .critical
        let gateway = try await GatewayHost.start(options, logger: logger)
        do {
            try await Task.sleep(for: .milliseconds(200))
            let before = registry.received.components(separatedBy: "GET /eureka/apps").count - 1
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        for _ in 0..<25 { try await Reply.send(.GET, gateway.baseURL + "/health").expect(200) }
                    }
                }
                try await group.waitForAll()
            }
            let fetched = registry.received.components(separatedBy: "GET /eureka/apps").count - 1 - before
            XCTAssertLessThanOrEqual(fetched, 3, "100 health checks made \(fetched) registry requests")
        } catch {
            await gateway.stop(grace: .seconds(1))
            await registry.stop()
            throw error
        }
        await gateway.stop(grace: .seconds(1))
        await registry.stop()
    }

    /// `orderpay up` checks every child's /health every 5 s: a check that passes is a debug line,
    /// not one of the access log's info lines; anything else stays info.
    func testPassingHealthChecksAreLoggedAtDebugLevel() async throws {
        let listing = #"{"applications":{"versions__delta":"1","apps__hashcode":"","application":[]}}"#
        let registry = try await ScriptedUpstream.start { _ in
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(listing.utf8.count)\r\n\r\n\(listing)"
        }
        var options = GatewayHost.Options(jwtSecret: String(repeating: "health-test-secret-", count: 3))
        options.port = 0
        options.registryURL = "http://127.0.0.1:\(registry.port)"
        let log = CapturedLog()
        var logger = Logger(label: "health-log-test") { _ in log.handler }
        logger.logLevel = .debug
        let gateway = try await GatewayHost.start(options, logger: logger)
        do {
            try await Reply.send(.GET, gateway.baseURL + "/health").expect(200)
            try await Reply.send(.GET, gateway.baseURL + "/nowhere").expect(404)
        } catch {
            await gateway.stop(grace: .seconds(1))
            await registry.stop()
            throw error
        }
        await gateway.stop(grace: .seconds(1))
        await registry.stop()
        let levels = Dictionary(log.messages.filter { $0.message.hasPrefix("GET /") }.map { ($0.message, $0.level) }) { first, _ in first }
        XCTAssertEqual(levels["GET /health 200"], .debug, "\(levels)")
        XCTAssertEqual(levels["GET /nowhere 404"], .info, "\(levels)")
    }

    /// `/api/registry` (the console's Registry pane, every few seconds per console) shares the
    /// listing too, instead of one registry request per call.
    func testRegistryViewsShareOneRecentListing() async throws {
        let listing = #"{"applications":{"versions__delta":"1","apps__hashcode":"","application":[]}}"#
        let registry = try await ScriptedUpstream.start { _ in
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(listing.utf8.count)\r\n\r\n\(listing)"
        }
        let secret = String(repeating: "health-test-secret-", count: 3)
        var options = GatewayHost.Options(jwtSecret: secret)
        options.port = 0
        options.registryURL = "http://127.0.0.1:\(registry.port)"
        options.refreshInterval = .seconds(3600)
        var logger = Logger(label: "registry-view-test")
        logger.logLevel = .critical
        let admin = User(id: 1, email: "admin@example.com", name: "Admin", roles: [.admin], createdAt: Date(), updatedAt: Date())
        let token = try await TokenService(secret: secret, clock: SystemClock()).issueAccessToken(for: admin)
        let gateway = try await GatewayHost.start(options, logger: logger)
        do {
            try await Task.sleep(for: .milliseconds(200))
            let before = registry.received.components(separatedBy: "GET /eureka/apps").count - 1
            // Four consoles at once, five views each.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        for _ in 0..<5 {
                            try await Reply.send(.GET, gateway.baseURL + "/api/registry", headers: [("Authorization", "Bearer \(token)")]).expect(200)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let fetched = registry.received.components(separatedBy: "GET /eureka/apps").count - 1 - before
            XCTAssertLessThanOrEqual(fetched, 2, "20 registry views made \(fetched) registry requests")
        } catch {
            await gateway.stop(grace: .seconds(1))
            await registry.stop()
            throw error
        }
        await gateway.stop(grace: .seconds(1))
        await registry.stop()
    }
}
