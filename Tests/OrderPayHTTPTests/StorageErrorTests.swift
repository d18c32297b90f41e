import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import OrderPayCore
import OrderPayHTTP
import OrderPayServices
import OrderPayTestSupport
import XCTest

/// A store that refuses a write (a full disk, a database another process holds locked past the
/// busy timeout) is unavailable for now: 503 problem+json saying what SQLite said, with
/// Retry-After, not a 500 "an unexpected error occurred".
final class StorageErrorTests: XCTestCase {
    func testAWriteTheDatabaseRefusesIsA503NotA500() async throws {
        try XCTSkipIf(TestEngine.isPostgres, "holds a SQLite file's write lock")
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let customer = try await client.token(t.customer)
            // Another process holds the orders database's write lock past the busy timeout.
            var holding = Configuration()
            holding.allowsUnsafeTransactions = true
            let other = try DatabaseQueue(path: (t.directory as NSString).appendingPathComponent("orders.sqlite"), configuration: holding)
            try await other.writeWithoutTransaction { try $0.execute(sql: "BEGIN IMMEDIATE") }
            let refused = try await client.call(.post, "/api/orders", token: customer, body: t.placeRequest())
            try await other.writeWithoutTransaction { try $0.execute(sql: "ROLLBACK") }
            let problem = try refused.problem(503, containing: "storage error")
            XCTAssertTrue(problem.detail.contains("locked"), problem.detail)
            XCTAssertEqual(refused.headers[.retryAfter], "1")

            // And the store goes on once the lock is gone.
            let placed = try await client.call(.post, "/api/orders", token: customer, body: t.placeRequest())
            XCTAssertEqual(placed.status, .created, placed.text)
        }
    }
}
