import Foundation
import OrderPayCore
import XCTest

/// Runs the built `orderpay` binary as a user would, on one seeded data dir.
final class CLITests: XCTestCase {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(stdout.utf8)) }
    }

    static let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-cli-\(UUID().uuidString)").path

    static var binary: URL { Bundle.main.bundleURL.appendingPathComponent("orderpay") }

    @discardableResult
    static func run(_ arguments: [String], data: String? = dataDirectory) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments + (data.map { ["--data", $0] } ?? [])
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    func run(_ arguments: String...) throws -> Result { try Self.run(arguments) }

    override class func setUp() {
        super.setUp()
        let result = try? run(["seed"])
        precondition(result?.status == 0, "seeding failed: \(result?.stderr ?? "no result")")
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(atPath: dataDirectory)
        super.tearDown()
    }

    func testSeedingTwiceIsRefused() throws {
        let again = try run("seed")
        XCTAssertEqual(again.status, AppError.Kind.conflict.exitCode)
        XCTAssertNotNil(again.stderr.range(of: #"is not empty \(\d+ users, \d+ products, \d+ orders\)"#, options: .regularExpression), again.stderr)
        XCTAssertTrue(again.stdout.isEmpty)
    }

    func testSeedingADataDirThatHoldsAProductIsRefusedBeforeWritingAnything() throws {
        let directory = NSTemporaryDirectory() + "orderpay-cli-partial-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        XCTAssertEqual(try Self.run(["products", "create", "--sku", "KB-001", "--name", "Mine", "--price", "1"], data: directory).status, 0)
        let seed = try Self.run(["seed"], data: directory)
        XCTAssertEqual(seed.status, AppError.Kind.conflict.exitCode, seed.stderr)
        XCTAssertTrue(seed.stderr.contains("is not empty (1 products)"), seed.stderr)
        let users = try XCTUnwrap(try Self.run(["users", "list", "--json"], data: directory).json() as? [String: Any])
        XCTAssertEqual(users["totalElements"] as? Int, 0, "nothing was written")
    }

    func testSeededDataCoversTheCatalogUsersAndEveryPaymentFailure() throws {
        let products = try XCTUnwrap(try run("products", "list", "--json").json() as? [[String: Any]])
        XCTAssertEqual(products.count, 15)
        let kim = try run("users", "get", "minjun.kim@example.com")
        XCTAssertTrue(kim.stdout.contains("김민준"), kim.stdout)
        let failed = try XCTUnwrap(try run("orders", "list", "--status", "failed", "--size", "200", "--json").json() as? [String: Any])
        let reasons = Set((failed["content"] as? [[String: Any]] ?? []).compactMap { $0["failureReason"] as? String })
        XCTAssertTrue(reasons.isSuperset(of: ["card declined", "insufficient funds", "processing error"]), "\(reasons)")
        let table = try run("orders", "list", "--status", "COMPLETED")
        XCTAssertEqual(table.status, 0)
        XCTAssertTrue(table.stdout.contains("COMPLETED"))
    }

    func testPlaceWaitPrintsThePaidOrder() throws {
        let placed = try run("orders", "place", "--user", "minjun.kim@example.com", "--item", "1:2", "--item", "5:3", "--wait", "--json")
        XCTAssertEqual(placed.status, 0, placed.stderr)
        let order = try XCTUnwrap(try placed.json() as? [String: Any])
        XCTAssertEqual(order["status"] as? String, "PAID")
        // 2 × 89.90 + 3 × 9.99, exactly: NSNumber from JSON, compared as text.
        XCTAssertTrue(placed.stdout.contains(#""totalAmount" : 209.77"#), placed.stdout)
    }

    func testDeclinedPaymentRetriedFromTheCommandLine() throws {
        let placed = try run("orders", "place", "--user", "alice@example.com", "--item", "2:1", "--token", "tok_chargeDeclined", "--wait", "--json")
        // The order is printed, and the exit code says that its payment failed.
        XCTAssertEqual(placed.status, 7, placed.stderr)
        XCTAssertTrue(placed.stderr.contains("FAILED: card declined"), placed.stderr)
        let order = try XCTUnwrap(try placed.json() as? [String: Any])
        XCTAssertEqual(order["status"] as? String, "FAILED")
        let orderId = try XCTUnwrap(order["id"] as? Int)
        let payment = try XCTUnwrap(try run("payments", "for-order", String(orderId), "--json").json() as? [String: Any])
        let paymentId = try XCTUnwrap((payment["payment"] as? [String: Any])?["id"] as? Int)
        let retried = try run("payments", "retry", String(paymentId), "--token", "tok_visa")
        XCTAssertEqual(retried.status, 0, retried.stderr)
        XCTAssertTrue(retried.stdout.contains("SUCCESS"), retried.stdout)
        let history = try run("orders", "history", String(orderId))
        XCTAssertTrue(history.stdout.contains("PAID"), history.stdout)
        let tail = try run("events", "tail", "--topic", "payment-processed", "--last", "2")
        XCTAssertTrue(tail.stdout.contains("\"orderId\":\(orderId)"), tail.stdout)
    }

    func testBadInputGetsAClearErrorAndANonZeroExit() throws {
        let cases: [([String], Int32, String)] = [
            (["orders", "list", "--status", "SHIPPED"], AppError.Kind.validation.exitCode, "not a valid status"),
            (["orders", "get", "999999"], AppError.Kind.notFound.exitCode, "order 999999 not found"),
            (["orders", "place", "--user", "nobody@example.com", "--item", "1:1"], AppError.Kind.notFound.exitCode, "no user with email"),
            (["orders", "place", "--user", "bob@example.com", "--item", "1:0"], AppError.Kind.validation.exitCode, "quantity"),
            (["orders", "place", "--user", "bob@example.com", "--item", "424242:1"], AppError.Kind.validation.exitCode, "does not exist"),
            (["orders", "place", "--user", "bob@example.com"], AppError.Kind.validation.exitCode, "at least one item"),
            (["orders", "place", "--user", "bob@example.com", "--item", "1:1", "--method", "CASH"], AppError.Kind.validation.exitCode, "not a valid method"),
            (["products", "create", "--sku", "X-1", "--name", "X", "--price", "1.999"], AppError.Kind.validation.exitCode, "at most two decimals"),
            (["products", "create", "--sku", "X-1", "--name", "X", "--price", "99999999999999999999"], AppError.Kind.validation.exitCode,
             "'99999999999999999999' is too large (at most 92233720368547758.07)"),
            (["payments", "retry", "1", "--token", "not a token"], AppError.Kind.validation.exitCode, "paymentToken"),
            (["events", "tail", "--topic", "nope"], AppError.Kind.validation.exitCode, "not a topic"),
            (["users", "create", "--email", "bad", "--name", "X", "--password", "short"], AppError.Kind.validation.exitCode, "email"),
        ]
        for (arguments, status, message) in cases {
            let result = try Self.run(arguments)
            XCTAssertEqual(result.status, status, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): '\(result.stderr)' should mention '\(message)'")
        }
        // Flags that would have crashed a server (an infinite lease) or been taken silently: a
        // usage error before anything starts.
        for (arguments, message) in [(["serve", "registry", "--port", "0", "--lease-seconds", "inf"], "--lease-seconds"),
                                      (["serve", "registry", "--port", "0", "--lease-seconds", "1e20"], "--lease-seconds"),
                                      (["serve", "gateway", "--port", "0", "--rate-limit", "-1"], "--rate-limit"),
                                      (["up", "--renew-seconds", "100", "--lease-seconds", "90"], "--renew-seconds must be shorter"),
                                      (["serve", "orders", "--port", "0", "--drain-seconds", "-2"], "--drain-seconds"),
                                      (["serve", "gateway", "--port", "0", "--registry", "notaurl"], "--registry must be an http(s) URL"),
                                      (["serve", "registry", "--port", "0", "--log-format", "xml"], "--log-format must be text or json, not 'xml'"),
                                      (["up", "--log-format", "yaml"], "--log-format must be text or json"),
                                      (["users", "update", "1"], "nothing to update: give --name, --phone or --address"),
                                      (["up", "--unresponsive-seconds", "100000"], "--unresponsive-seconds must be 0 (never) or 10–86400"),
                                      (["up", "--unresponsive-seconds", "3"], "--unresponsive-seconds must be 0 (never) or 10–86400"),
                                      (["up", "--port", "gateway=0"], "COMPONENT=PORT"), (["up", "--port", "cache=9000"], "COMPONENT=PORT"),
                                      (["up", "--port", "gateway=9000", "--port", "orders=9000"], "the same port"),
                                      (["up", "--port", "gateway=8761"], "another's default port"),
                                      // A blank --kafka was taken for none: events went where a Kafka fleet never reads.
                                      (["orders", "list", "--kafka", " "], "--kafka is empty"),
                                      (["orders", "list", "--kafka", "127.0.0.1:99999"], "is not host:port"),
                                      (["orders", "list", "--kafka", "a:b:c"], "is not host:port"),
                                      (["orders", "list", "--kafka", "http://127.0.0.1:9092"], "not a http URL"),
                                      (["orders", "list", "--kafka-property", "group.id=other"], "group.id is OrderPay's to set"),
                                      (["orders", "list", "--kafka-property", "bootstrap.servers=h:9092"], "with --kafka")] {
            let result = try Self.run(arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        // A URL that is not PostgreSQL's may still hold a password: not echoed.
        let mysql = try Self.run(["orders", "list", "--database", "mysql://app:s3cret-pw@db.example/app"])
        XCTAssertEqual(mysql.status, AppError.Kind.validation.exitCode, mysql.stderr)
        XCTAssertTrue(mysql.stderr.contains("not a PostgreSQL URL"), mysql.stderr)
        XCTAssertFalse(mysql.stderr.contains("s3cret-pw"), mysql.stderr)
        let status = try run("orders", "list", "--status", "SHIPPED")
        XCTAssertEqual(status.stderr.components(separatedBy: "not a valid status").count, 2, "said once: \(status.stderr)")
        let malformed = try run("orders", "place", "--user", "bob@example.com", "--item", "abc")
        XCTAssertNotEqual(malformed.status, 0)
        XCTAssertTrue(malformed.stderr.contains("PRODUCT_ID:QTY"), malformed.stderr)
    }

    /// What a PostgreSQL URL asks for and OrderPay cannot do is refused, not ignored: connections
    /// are never TLS, so `?sslmode=require` (as cloud providers' URLs have it) went out in plain
    /// text; an unknown parameter was dropped; port 99999 was reported as "connection refused".
    func testAPostgreSQLURLAskingForWhatIsNotDoneIsRefused() throws {
        for (url, message) in [("postgres://app:s3cret-pw@127.0.0.1:5432/app?sslmode=require", "sslmode=require"),
                                ("postgres://app:s3cret-pw@127.0.0.1:5432/app?sslmode=verify-full", "TLS"),
                                ("postgres://app:s3cret-pw@127.0.0.1:5432/app?connect_timeout=5", "connect_timeout"),
                                ("postgres://app:s3cret-pw@127.0.0.1:99999/app", "port")] {
            let result = try Self.run(["orders", "list", "--database", url])
            XCTAssertEqual(result.status, AppError.Kind.validation.exitCode, "\(url): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(url): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("s3cret-pw"), result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        }
    }

    func testAMistypedDataDirIsReportedNotCreated() throws {
        let missing = NSTemporaryDirectory() + "orderpay-no-such-dir-\(UUID().uuidString)"
        for arguments in [["orders", "list"], ["users", "get", "1"], ["events", "tail", "--topic", "order-created"]] {
            let result = try Self.run(arguments, data: missing)
            XCTAssertEqual(result.status, AppError.Kind.notFound.exitCode, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("no data directory at \(missing)"), result.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing))
        // Refused input starts nothing either.
        let refused = try Self.run(["users", "create", "--email", "a@example.com", "--name", "A", "--password", "password-123"], data: missing)
        XCTAssertEqual(refused.status, AppError.Kind.validation.exitCode, refused.stderr)
        XCTAssertEqual(try Self.run(["products", "create", "--sku", "X", "--name", "X", "--price", "0"], data: missing).status,
                       AppError.Kind.validation.exitCode)
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing))
        // Creating the first user starts a data dir.
        XCTAssertEqual(try Self.run(["users", "create", "--email", "first@example.com", "--name", "First", "--password", "password-1"],
                                    data: missing).status, 0)
        XCTAssertEqual(try Self.run(["users", "get", "first@example.com"], data: missing).status, 0)
        try? FileManager.default.removeItem(atPath: missing)
        // A file where the data dir should be: said so, for every command.
        FileManager.default.createFile(atPath: missing, contents: Data("not a dir".utf8))
        let file = try Self.run(["seed"], data: missing)
        XCTAssertEqual(file.status, AppError.Kind.validation.exitCode, file.stderr)
        XCTAssertTrue(file.stderr.contains("is a file, not a data directory"), file.stderr)
        // Servers too, in one line (the registry printed Foundation's error dump; a gateway
        // started on an in-memory JWT secret and refused every token the services issued).
        for component in ["registry", "gateway"] {
            for data in [missing, missing + "/sub"] {
                let server = try Self.run(["serve", component, "--port", "0", "--registry", "http://127.0.0.1:9", "--log-format", "text"], data: data)
                XCTAssertEqual(server.status, AppError.Kind.unavailable.exitCode, "\(component) \(data): \(server.stderr)")
                XCTAssertEqual(server.stderr, "error: cannot create data directory \(data): \(missing) is a file\n")
                // With JSON logs (the default off a terminal), the same as one critical JSON line.
                let logged = try Self.run(["serve", component, "--port", "0", "--registry", "http://127.0.0.1:9", "--log-format", "json"], data: data)
                XCTAssertEqual(logged.status, AppError.Kind.unavailable.exitCode, logged.stderr)
                let lines = logged.stderr.split(separator: "\n")
                XCTAssertEqual(lines.count, 1, logged.stderr)
                let line = try XCTUnwrap(JSONSerialization.jsonObject(with: Data((lines.first ?? "").utf8)) as? [String: Any], logged.stderr)
                XCTAssertEqual(line["level"] as? String, "critical")
                XCTAssertEqual(line["message"] as? String, "cannot create data directory \(data): \(missing) is a file")
            }
        }
        try? FileManager.default.removeItem(atPath: missing)
    }

    func testLockedAndDeletedAccountsCannotBeOrderedFor() throws {
        XCTAssertEqual(try run("users", "create", "--email", "dormant@example.com", "--name", "Dormant", "--password", "password-1").status, 0)
        XCTAssertEqual(try run("users", "lock", "dormant@example.com").status, 0)
        let locked = try run("orders", "place", "--user", "dormant@example.com", "--item", "1:1")
        XCTAssertEqual(locked.status, AppError.Kind.conflict.exitCode, locked.stderr)
        XCTAssertTrue(locked.stderr.contains("is LOCKED; only an ACTIVE user can place orders"), locked.stderr)
        XCTAssertEqual(try run("users", "delete", "dormant@example.com").status, 0)
        let deleted = try run("orders", "place", "--user", "dormant@example.com", "--item", "1:1")
        XCTAssertEqual(deleted.status, AppError.Kind.conflict.exitCode, deleted.stderr)
        XCTAssertTrue(deleted.stderr.contains("is DELETED"), deleted.stderr)
    }

    func testRefundFromTheCommandLineCancelsTheOrder() throws {
        let placed = try XCTUnwrap(try run("orders", "place", "--user", "carla@example.com", "--item", "3:1", "--wait", "--json").json() as? [String: Any])
        let orderId = try XCTUnwrap(placed["id"] as? Int)
        let payment = try XCTUnwrap(try run("payments", "for-order", String(orderId), "--json").json() as? [String: Any])
        let paymentId = try XCTUnwrap((payment["payment"] as? [String: Any])?["id"] as? Int)
        let refund = try run("payments", "refund", String(paymentId), "--reason", "test refund")
        XCTAssertEqual(refund.status, 0, refund.stderr)
        XCTAssertTrue(refund.stdout.contains("REFUNDED"), refund.stdout)
        let order = try XCTUnwrap(try run("orders", "get", String(orderId), "--json").json() as? [String: Any])
        XCTAssertEqual(order["status"] as? String, "CANCELLED")
    }
}
