import Foundation
import OrderPayCore
import OrderPayEmbedded
import OrderPayPostgres
import OrderPayServices
import OrderPayTestSupport
import XCTest

/// What only a shared network database brings: several instances at once, connections that drop,
/// a server that is not there. Run in the PostgreSQL pass (ORDERPAY_TEST_ENGINE=postgres).
final class PostgresEngineTests: XCTestCase {
    override func setUp() async throws {
        try XCTSkipUnless(TestEngine.isPostgres, "PostgreSQL pass only (ORDERPAY_TEST_ENGINE=postgres)")
    }

    func testInstancesStartingAtOnceMigrateOnceAndAllStart() async throws {
        let fresh = try await TestEngine.freshDatabase()
        let url = try XCTUnwrap(fresh)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-pg-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let systems = try await withThrowingTaskGroup(of: EmbeddedSystem.self) { group in
            for _ in 0..<4 {
                group.addTask { try await EmbeddedSystem.start(TestSystem.configuration(directory, database: url, workers: false),
                                                               logger: TestSystem.quietLogger()) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(systems.count, 4)
        let database = try await PostgresDatabase.connect(url, logger: TestSystem.quietLogger())
        defer { database.close() }
        let expected = ["auth": ["v1"], "orders": ["v1"], "payments": ["v1"], "registry": ["v1"],
                        "events": ["v1", "v2-dead-letters-keep-their-event"]]
        for (schema, versions) in expected {
            let rows = try await database.rows("SELECT version FROM \(unescaped: schema).schema_migrations ORDER BY version")
            XCTAssertEqual(try rows.map { try $0.value("version", as: String.self) }, versions, schema)
        }
        for system in systems { await system.stop() }
    }

    func testDroppedConnectionsReconnectAndLoseNoCommittedOrder() async throws {
        let t = try await TestSystem.make()
        let url = try XCTUnwrap(t.database)
        let name = try PostgresLocation(url: url).database
        var placed: [Order] = []
        for round in 0..<3 {
            for _ in 0..<10 {
                // A request that meets a dropped connection fails with a clear error; the caller retries.
                placed.append(try await retrying { try await t.system.orders.place(actor: t.customerActor, t.order()) })
            }
            if round < 2 {
                // The server ends every session of this database, as a restart or failover would.
                let admin = try await PostgresDatabase.connect(url, logger: TestSystem.quietLogger())
                try await admin.execute("""
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(name) AND pid <> pg_backend_pid()
                    """)
                admin.close()
            }
        }
        for order in placed {
            let settled = try await t.system.waitForOrder(id: order.id, actor: t.admin, timeout: .seconds(20))
            XCTAssertEqual(settled.status, .paid, "order \(order.id)")
        }
        await assertEqual(try await t.system.payments.list(actor: t.admin, page: PageRequest(size: 100)).totalElements, placed.count)
        await t.stop()
    }

    func testTwoOrderServicesRacingOnOneOrderLoseNoUpdate() async throws {
        let t = try await TestSystem.make(workers: false)
        let second = try await EmbeddedSystem.start(t.configuration(workers: false), logger: TestSystem.quietLogger())
        for _ in 0..<10 {
            let order = try await t.system.orders.place(actor: t.customerActor, t.order())
            async let first: Order? = try? t.system.orders.cancel(actor: t.customerActor, id: order.id, reason: "first")
            async let other: Order? = try? second.orders.cancel(actor: t.customerActor, id: order.id, reason: "second")
            let outcomes = await [first, other].compactMap { $0 }
            XCTAssertEqual(outcomes.count, 1, "exactly one cancellation wins")
            let history = try await t.system.orders.history(actor: t.admin, orderId: order.id)
            XCTAssertEqual(history.map(\.to), [.created, .cancelled])
        }
        await second.stop()
        await t.stop()
    }

    func testMoneyIsStoredAsExactNumeric() async throws {
        let t = try await TestSystem.make(workers: false)
        let price = Money("12345678901234567.89")!
        let product = try await t.system.orders.createProduct(actor: t.admin, sku: "BIG", name: "Big", unitPrice: price)
        let read = try await t.system.orders.products(includeInactive: true).first { $0.id == product.id }
        XCTAssertEqual(read?.unitPrice, price)
        XCTAssertEqual(read?.unitPrice.description, "12345678901234567.89")
        await t.stop()
    }

    func testUnreachableServerAndWrongPasswordAreClearErrors() async throws {
        await XCTAssertThrowsAppError(.unavailable, try await PostgresDatabase.connect(
            "postgres://orderpay:orderpay@127.0.0.1:1/orderpay", logger: TestSystem.quietLogger()), containing: "connection refused")
        let admin = try XCTUnwrap(ProcessInfo.processInfo.environment["ORDERPAY_TEST_DATABASE"])
        var location = try PostgresLocation(url: admin)
        location.password = "not-the-password"
        await XCTAssertThrowsAppError(.unavailable, try await PostgresDatabase.connect(
            "postgres://\(location.user):not-the-password@\(location.host):\(location.port)/\(location.database)",
            logger: TestSystem.quietLogger()), containing: "password authentication failed")
        await XCTAssertThrowsAppError(.validation, try await PostgresDatabase.connect("mysql://x/y", logger: TestSystem.quietLogger()))
    }

    private func retrying<T>(_ body: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do { return try await body() } catch let error as AppError where error.kind == .unavailable && attempt < 20 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}
