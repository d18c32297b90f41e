import Foundation
import Logging
import OrderPayCore
import OrderPayPostgres
import OrderPayTestSupport
import XCTest

/// A PostgreSQL server that goes away and comes back, as seen by the stores' database: the
/// server is put out of reach by stopping a TCP forwarder in front of it.
final class PostgresOutageTests: XCTestCase {
    /// During an outage every statement waited out the 5 s deadline before its 503, so a request
    /// that reads twice got its answer after 10 s. Once the server is known to refuse connections,
    /// the next statements fail at once with the same message; when it is back, they work again.
    func testWhileTheServerRefusesStatementsFailAtOnceAndThenWorkAgain() async throws {
        try XCTSkipUnless(TestEngine.isPostgres, "cuts a PostgreSQL server off with a forwarder")
        let fresh = try await TestEngine.freshDatabase()
        let url = try XCTUnwrap(fresh)
        let server = try XCTUnwrap(URLComponents(string: url))
        var forwarder = try TCPForwarder(to: server.host ?? "127.0.0.1", server.port ?? 5432)
        defer { forwarder.stop() }
        var proxied = server
        proxied.port = forwarder.port
        var logger = Logger(label: "outage-test")
        logger.logLevel = .critical
        let database = try await PostgresDatabase.connect(try XCTUnwrap(proxied.string), logger: logger)
        defer { database.close() }
        _ = try await database.read("SELECT 1")

        forwarder.stop()
        func refused() async -> String? {
            do {
                _ = try await database.read("SELECT 1")
                return nil
            } catch {
                return "\(error)"
            }
        }
        let first = await refused()
        XCTAssertTrue(first?.contains("refuses connections") == true, first ?? "the statement worked without a server")
        let clock = ContinuousClock()
        var messages: [String?] = []
        let five = await clock.measure {
            for _ in 0..<5 { messages.append(await refused()) }
        }
        XCTAssertTrue(messages.allSatisfy { $0?.contains("refuses connections") == true }, "\(messages)")
        XCTAssertLessThan(five, database.statementDeadline, "five statements took \(five), each waiting for a connection")

        forwarder = try TCPForwarder(to: server.host ?? "127.0.0.1", server.port ?? 5432, on: forwarder.port)
        let deadline = ContinuousClock.now + .seconds(30)
        var back = false
        while !back, ContinuousClock.now < deadline {
            back = (try? await database.read("SELECT 1")) != nil
            if !back { try await Task.sleep(for: .milliseconds(200)) }
        }
        XCTAssertTrue(back, "statements still fail 30 s after the server came back")
    }
}
