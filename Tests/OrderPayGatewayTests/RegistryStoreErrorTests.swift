import AsyncHTTPClient
import Foundation
import GRDB
import Logging
import NIOCore
import OrderPayServer
import OrderPayTestSupport
import XCTest

/// The registry's store failing (its SQLite file locked by another process past the busy timeout,
/// PostgreSQL down) is a 503 problem+json saying so, like a service's, not a 500 with an empty
/// body that a Eureka client can only log as "500".
final class RegistryStoreErrorTests: XCTestCase {
    /// A registry on a fresh data dir, and another connection to its store, which a test holds
    /// the write lock on (as another process would) with `BEGIN IMMEDIATE`.
    private func startRegistry(_ name: String) async throws -> (RunningServer, Task<Void, Never>, DatabaseQueue) {
        var options = RegistryHost.Options(dataDirectory: try temporaryDirectory(name).path)
        options.port = 0
        var logger = Logger(label: "registry-test")
        logger.logLevel = .critical
        let (server, eviction) = try await RegistryHost.start(options, logger: logger)
        var holding = Configuration()
        holding.allowsUnsafeTransactions = true
        let other = try DatabaseQueue(path: (options.dataDirectory as NSString).appendingPathComponent("registry.sqlite"), configuration: holding)
        return (server, eviction, other)
    }

    func testARegistrationTheStoreRefusesIsA503Problem() async throws {
        let (server, eviction, other) = try await startRegistry("registry-store-error")
        defer { eviction.cancel() }
        try await other.writeWithoutTransaction { try $0.execute(sql: "BEGIN IMMEDIATE") }

        var request = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/eureka/apps/BILLING")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"instance":{"instanceId":"billing-1","hostName":"billing.internal","app":"BILLING","ipAddr":"127.0.0.1","status":"UP","port":{"$":9}}}"#))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = String(buffer: try await response.body.collect(upTo: 1 << 16))
        try await other.writeWithoutTransaction { try $0.execute(sql: "ROLLBACK") }

        XCTAssertEqual(response.status.code, 503, body)
        XCTAssertEqual(response.headers.first(name: "Content-Type"), "application/problem+json", body)
        XCTAssertEqual(response.headers.first(name: "Retry-After"), "1", body)
        let problem = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], body)
        XCTAssertEqual(problem["type"] as? String, "urn:orderpay:problem:unavailable")
        XCTAssertTrue((problem["detail"] as? String ?? "").contains("storage error"), body)

        // Once the lock is gone, the same registration goes through.
        let again = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        XCTAssertEqual(again.status.code, 204)
        await server.stop()
    }

    /// `/health` answers within its 2 s even while the store does not (here a write lock another
    /// process holds for longer than the busy timeout; PostgreSQL down took 5 to 20 s): a health
    /// check that hangs looks like a dead process to whoever watches it.
    func testHealthAnswersDownWithinTwoSecondsWhileTheStoreHangs() async throws {
        let (server, eviction, other) = try await startRegistry("registry-health")
        defer { eviction.cancel() }
        let health = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/health")
        let up = try await HTTPClient.shared.execute(health, timeout: .seconds(30))
        XCTAssertEqual(up.status.code, 200)
        // The services' shape, {status, checks: {name: {status, error?}}}; it was {status, database}.
        let upBody = String(buffer: try await up.body.collect(upTo: 1 << 16))
        let upReport = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(upBody.utf8)) as? [String: Any], upBody)
        XCTAssertEqual(upReport["status"] as? String, "UP", upBody)
        XCTAssertEqual(upReport.count, 2, upBody)
        XCTAssertEqual(((upReport["checks"] as? [String: Any])?["database"] as? [String: Any])?["status"] as? String, "UP", upBody)

        try await other.writeWithoutTransaction { try $0.execute(sql: "BEGIN IMMEDIATE") }
        let started = ContinuousClock.now
        let down = try await HTTPClient.shared.execute(health, timeout: .seconds(30))
        let took = ContinuousClock.now - started
        let body = String(buffer: try await down.body.collect(upTo: 1 << 16))
        XCTAssertEqual(down.status.code, 503, body)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], body)
        XCTAssertEqual(report["status"] as? String, "DOWN", body)
        let database = try XCTUnwrap((report["checks"] as? [String: Any])?["database"] as? [String: Any], body)
        XCTAssertEqual(database["status"] as? String, "DOWN", body)
        XCTAssertFalse((database["error"] as? String ?? "").isEmpty, body)
        XCTAssertLessThan(took, .seconds(4), "health took \(took)")
        try await other.writeWithoutTransaction { try $0.execute(sql: "ROLLBACK") }

        let again = try await HTTPClient.shared.execute(health, timeout: .seconds(30))
        XCTAssertEqual(again.status.code, 200)
        await server.stop()
    }
}
