import Foundation
import NIOConcurrencyHelpers
import NIOCore
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
        let expected = ["auth": ["v1"], "orders": ["v1", "v2-relay-lease"], "payments": ["v1", "v2-relay-lease", "v3-claim-expiry", "v4-claimant"],
                        "registry": ["v1", "v2", "v3"], "events": ["v1", "v2-dead-letters-keep-their-event"]]
        for (schema, versions) in expected {
            let rows = try await database.rows("SELECT version FROM \(unescaped: schema).schema_migrations ORDER BY version")
            XCTAssertEqual(try rows.map { try $0.value("version", as: String.self) }, versions, schema)
        }
        for system in systems { await system.stop() }
    }

    func testDroppedConnectionsAreReplacedUnseenAndLoseNoCommittedOrder() async throws {
        let t = try await TestSystem.make()
        let url = try XCTUnwrap(t.database)
        let name = try PostgresLocation(url: url).database
        var placed: [Order] = []
        for round in 0..<3 {
            for _ in 0..<10 {
                placed.append(try await t.system.orders.place(actor: t.customerActor, t.order()))
            }
            guard round < 2 else { break }
            // The server ends every session of this database, as a restart or failover would,
            // while the pool holds them idle.
            try await terminateSessions(of: name, url: url)
            // Reads and writes right after are not refused: each dropped connection is found out
            // by the request that draws it, which runs again on another.
            let ids = placed.map(\.id)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in ids {
                    group.addTask { _ = try await t.system.orders.order(actor: t.admin, id: id) }
                }
                group.addTask { _ = try await t.system.orders.list(actor: t.admin, page: PageRequest(size: 5)) }
                try await group.waitForAll()
            }
        }
        for order in placed {
            let settled = try await t.system.waitForOrder(id: order.id, actor: t.admin, timeout: .seconds(20))
            XCTAssertEqual(settled.status, .paid, "order \(order.id)")
        }
        await assertEqual(try await t.system.payments.list(actor: t.admin, page: PageRequest(size: 100)).totalElements, placed.count)
        await t.stop()
    }

    func testATransactionWhoseSessionEndsBetweenStatementsRunsAgainOnAnotherConnection() async throws {
        let (database, admin) = try await scratchDatabases()
        defer { database.close(); admin.close() }
        try await database.execute("CREATE TABLE notes (id INT PRIMARY KEY)")
        let attempts = NIOLockedValueBox(0)
        let logger = TestSystem.quietLogger()
        let count = try await database.transaction { connection in
            let attempt = attempts.withLockedValue { $0 += 1; return $0 }
            _ = try await connection.rows("INSERT INTO notes VALUES (1)", logger: logger)
            if attempt == 1 {
                // The server ends this session while the transaction waits between statements.
                let pid: Int32 = try await connection.rows("SELECT pg_backend_pid() AS pid", logger: logger)[0].value("pid")
                try await admin.execute("SELECT pg_terminate_backend(\(pid))")
                let deadline = ContinuousClock.now + .seconds(10)
                while !connection.isClosed {
                    guard ContinuousClock.now < deadline else { throw AppError(.internal, "the ended session's connection stayed open") }
                    try await Task.sleep(for: .milliseconds(5))
                }
            }
            return try await connection.rows("SELECT count(*)::int AS n FROM notes", logger: logger)[0].value("n", as: Int.self)
        }
        XCTAssertEqual(count, 1, "the first attempt's insert was rolled back")
        XCTAssertEqual(attempts.withLockedValue { $0 }, 2)
        let stored = try await database.read("SELECT count(*)::int AS n FROM notes")[0].value("n", as: Int.self)
        XCTAssertEqual(stored, 1)
    }

    func testAReadWhoseSessionEndsMidStatementRunsAgainButAWriteDoesNot() async throws {
        let (database, admin) = try await scratchDatabases()
        defer { database.close(); admin.close() }
        try await database.execute("CREATE TABLE notes (id INT PRIMARY KEY)")
        let read = Task { try await database.read("SELECT 7 AS seven FROM pg_sleep(0.5)")[0].value("seven", as: Int.self) }
        try await terminateOnce(admin, runningQueryLike: "%7 AS seven FROM pg_sleep%")
        let seven = try await read.value
        XCTAssertEqual(seven, 7)

        // A write that was running when its session ended may or may not have been applied in
        // general: the caller hears of it rather than have it run twice.
        let write = Task { try await database.execute("INSERT INTO notes SELECT 1 FROM pg_sleep(0.5)") }
        try await terminateOnce(admin, runningQueryLike: "INSERT INTO notes SELECT 1 FROM pg_sleep%")
        await XCTAssertThrowsAppError(.unavailable, try await write.value)
        let stored = try await database.read("SELECT count(*)::int AS n FROM notes")[0].value("n", as: Int.self)
        XCTAssertEqual(stored, 0)
    }

    func testABodyThatKeepsLosingItsConnectionEndsInAClearErrorAfterBoundedReruns() async throws {
        let (database, admin) = try await scratchDatabases()
        defer { database.close(); admin.close() }
        let attempts = NIOLockedValueBox(0)
        let logger = TestSystem.quietLogger()
        await XCTAssertThrowsAppError(.unavailable, try await database.transaction { connection in
            attempts.withLockedValue { $0 += 1 }
            try await connection.close()
            return try await connection.rows("SELECT 1", logger: logger)
        }, containing: "PostgreSQL unreachable")
        XCTAssertEqual(attempts.withLockedValue { $0 }, 4, "one run, then three more for a connection lost mid-transaction")
    }

    func testAWriteWhoseConnectionIsClosedUnderItIsNotRunAgain() async throws {
        let (database, admin) = try await scratchDatabases()
        defer { database.close(); admin.close() }
        try await database.execute("CREATE TABLE notes (id SERIAL PRIMARY KEY)")
        // Closing a connection fails the statement in flight on it with the same error as one
        // handed to a connection already closed; but this one was sent, and the server applies it.
        await XCTAssertThrowsAppError(.unavailable, try await database.withConnection { connection in
            connection.eventLoop.scheduleTask(in: .milliseconds(200)) { let closing: EventLoopFuture<Void> = connection.close(); _ = closing }
            return try await connection.rows("INSERT INTO notes SELECT FROM pg_sleep(0.5)", logger: TestSystem.quietLogger())
        })
        try await Task.sleep(for: .seconds(1))   // the server finishes the statement on its own
        let stored = try await database.read("SELECT count(*)::int AS n FROM notes")[0].value("n", as: Int.self)
        XCTAssertEqual(stored, 1, "applied once, not run again")
    }

    func testCallersWaitingOnAReplacedPoolAreServedByTheNewOne() async throws {
        let fresh = try await TestEngine.freshDatabase()
        let url = try XCTUnwrap(fresh)
        let database = try await PostgresDatabase.connect(url, logger: TestSystem.quietLogger(), maximumConnections: 1)
        defer { database.close() }
        database.statementDeadline = .seconds(1)
        // The only connection is held (outside any deadline); one caller waits for it past its
        // deadline, whose expiry replaces the pool; another has just started waiting then.
        let holder = Task {
            try await database.client.withConnection { connection in
                _ = try await connection.rows("SELECT pg_sleep(3)", logger: TestSystem.quietLogger())
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        let firstWaiter = Task { try await database.read("SELECT 1 AS one") }
        try await Task.sleep(for: .milliseconds(800))
        let lateWaiter = Task { try await database.read("SELECT 1 AS one")[0].value("one", as: Int.self) }
        await XCTAssertThrowsAppError(.unavailable, try await firstWaiter.value, containing: "did not answer")
        let one = try await lateWaiter.value
        XCTAssertEqual(one, 1)
        _ = try? await holder.value
    }

    /// A fresh database for `PostgresDatabase` itself, and a second pool on it to end sessions with.
    private func scratchDatabases() async throws -> (PostgresDatabase, admin: PostgresDatabase) {
        let fresh = try await TestEngine.freshDatabase()
        let url = try XCTUnwrap(fresh)
        let database = try await PostgresDatabase.connect(url, logger: TestSystem.quietLogger())
        // Long enough that a statement stuck on a closed connection would show, not be rescued.
        database.statementDeadline = .seconds(20)
        return (database, try await PostgresDatabase.connect(url, logger: TestSystem.quietLogger()))
    }

    /// Ends the session running a statement like `pattern`, once, as soon as it shows.
    private func terminateOnce(_ admin: PostgresDatabase, runningQueryLike pattern: String) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let ended = try await admin.rows("""
                SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
                WHERE query LIKE \(pattern) AND state = 'active' AND pid <> pg_backend_pid()
                """)
            if !ended.isEmpty { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        XCTFail("no session ran \(pattern) within 10 s")
    }

    /// Ends the database's sessions and waits until those backends are gone.
    private func terminateSessions(of name: String, url: String) async throws {
        let admin = try await PostgresDatabase.connect(url, logger: TestSystem.quietLogger())
        defer { admin.close() }
        // In the select list, not the WHERE clause: there the planner may call it before the
        // pid test, and the session would end itself.
        let ended = try await admin.rows("""
            SELECT pid FROM (SELECT pid, pg_terminate_backend(pid) AS ended FROM pg_stat_activity
                             WHERE datname = \(name) AND pid <> pg_backend_pid()) AS sessions WHERE ended
            """).map { try $0.value("pid", as: Int32.self) }
        XCTAssertFalse(ended.isEmpty, "the system had connections open")
        let deadline = ContinuousClock.now + .seconds(10)
        while try await admin.rows("SELECT count(*)::bigint AS n FROM pg_stat_activity WHERE pid = ANY(\(ended))")[0].value("n", as: Int64.self) > 0 {
            guard ContinuousClock.now < deadline else { return XCTFail("terminated backends still running after 10 s") }
            try await Task.sleep(for: .milliseconds(10))
        }
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
}
