import Foundation
import Logging
import OrderPayConsole
import OrderPayConsoleEmbedded
import OrderPayCore
import OrderPayEmbedded
import OrderPayServices
import XCTest

/// The whole console — runtime, update, view, embedded backend, real services on a fresh data
/// dir — driven by key scripts on a headless terminal.
final class RuntimeTests: XCTestCase {
    var directory = ""
    var system: EmbeddedSystem!

    override func setUp() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-console-\(UUID().uuidString)").path
        var configuration = EmbeddedConfiguration(dataDirectory: directory)
        configuration.bcryptCost = 4
        configuration.jwtSecret = "console-test-secret-console-test-secret-0123"
        var logger = Logger(label: "test")
        logger.logLevel = ProcessInfo.processInfo.environment["ORDERPAY_TEST_LOG"] == "1" ? .info : .critical
        system = try await EmbeddedSystem.start(configuration, logger: logger)
        _ = try await DemoSeeder(system: system).seed()
    }

    override func tearDown() async throws {
        await system.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The seed's newest payments are #200 and #199 FAILED and #198 SUCCESS: marking all three
    /// retries two, and the outcome (toast and audit log) names the one left out.
    func testBulkRetryOutcomeNamesTheMarkedPaymentLeftOut() async throws {
        let (runtime, terminal) = try runtime("""
        wait-for "Payments"
        3
        g
        <Space><Space><Space>
        r
        wait-for "Retry 2 payments"
        <Enter>
        wait-for "(#198 left out: SUCCESS)?"
        y
        wait-for "retried #"
        :q<Enter>
        """)
        let failure = try await runtime.run()
        XCTAssertNil(failure, terminal.lastScreen?.text ?? "")
        let audit = AuditLog(path: directory + "/audit.log").recent()
        XCTAssertEqual(audit.count, 1)
        XCTAssertTrue(audit.first?.outcome.hasSuffix("; #198 left out: SUCCESS") == true, "\(audit)")
    }

    func runtime(_ script: String, width: Int = 160, height: Int = 45, readOnly: Bool = false,
                 backlog: Int = ConsoleOptions().backlog) throws -> (ConsoleRuntime, HeadlessTerminal) {
        var options = ConsoleOptions()
        options.backlog = backlog
        options.script = try KeyScript.parse(script)
        options.speed = 20
        options.readOnly = readOnly
        options.auditPath = directory + "/audit.log"
        let terminal = HeadlessTerminal(width: width, height: height)
        let backend = EmbeddedBackend(system: system, operatorName: "test:ops")
        return (ConsoleRuntime(backend: backend, terminal: terminal, theme: .fallback, options: options), terminal)
    }

    func testDeclinedPaymentRetriedWithVisaReachesPaid() async throws {
        let before = try await system.orders.countByStatus()[.paid] ?? 0
        let (runtime, terminal) = try runtime("""
        wait-for "Orders"
        n
        wait-for "New order"
        <S-Tab><C-u>
        type tok_chargeDeclined
        <Enter>
        wait-for "Confirm"
        y
        wait-for "#201 PENDING → FAILED"
        2
        g
        r
        wait-for "Retry payment"
        type tok_visa
        <Enter>
        y
        wait-for "retried "
        wait-for "PENDING → PAID"
        :q<Enter>
        """)
        let failure = try await runtime.run()
        XCTAssertNil(failure, terminal.lastScreen?.text ?? "")
        // The seeded orders' own "PENDING → PAID" lines can still be arriving, so the retry's
        // outcome is counted once the flow has settled rather than when a line shows it.
        await system.drain(timeout: .seconds(10))
        let after = try await system.orders.countByStatus()[.paid] ?? 0
        XCTAssertEqual(after, before + 1)
        let audit = AuditLog(path: directory + "/audit.log").recent()
        XCTAssertEqual(audit.map(\.ok), [true, true])
        guard audit.count == 2 else { return }
        XCTAssertTrue(audit[0].action.contains("tok_chargeDeclined"))
        XCTAssertTrue(audit[1].action.hasPrefix("retry payment"))
    }

    /// Counts and the order form's catalog failing at first, as with a service down: the header
    /// says the counts are unknown (not 0) and `n` says why no form opens; once the service is
    /// back the counts come by themselves and `n` opens the form.
    func testFailedCountsAndCatalogAreShownAndHealWhenTheServiceReturns() async throws {
        let backend = FlakyBackend(EmbeddedBackend(system: system, operatorName: "test:ops"), failing: [.counts, .products])
        let runtime = ConsoleRuntime(backend: backend, terminal: HeadlessTerminal(width: 160, height: 45), theme: .fallback)
        let task = Task { try await runtime.run() }
        func waitFor(_ pattern: String) async throws {
            let deadline = Date().addingTimeInterval(15)
            while runtime.screenText.range(of: pattern, options: .regularExpression) == nil, Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            XCTAssertNotNil(runtime.screenText.range(of: pattern, options: .regularExpression), "/\(pattern)/ never appeared:\n\(runtime.screenText)")
        }
        try await waitFor("2 Orders 1–")
        try await waitFor("PAID – ")
        XCTAssertNil(runtime.screenText.range(of: "PAID 0"), runtime.screenText)
        runtime.inject([.key(.char("n"))])
        try await waitFor("can't open the order form: products: ORDER-SERVICE instance .* refused")

        backend.heal()
        try await waitFor("PAID [1-9][0-9]* ")
        runtime.inject([.key(.char("n"))])
        try await waitFor("New order")
        runtime.inject([.key(.escape), .key(.ctrl("c"))])
        _ = try await task.value
    }

    /// Every shipped demo plays to its end (each `wait-for` is met) on a freshly seeded data dir.
    func testShippedDemosPlayToTheEnd() async throws {
        let demos = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../demos").standardized
        for file in try FileManager.default.contentsOfDirectory(atPath: demos.path).filter({ $0.hasSuffix(".keys") }).sorted() {
            let (runtime, terminal) = try runtime(try String(contentsOf: demos.appendingPathComponent(file), encoding: .utf8))
            let failure = try await runtime.run()
            XCTAssertNil(failure, "\(file): \(failure ?? "")\n\(terminal.lastScreen?.text ?? "")")
        }
        let audit = AuditLog(path: directory + "/audit.log").recent()
        XCTAssertTrue(audit.allSatisfy(\.ok), "\(audit)")
        XCTAssertGreaterThanOrEqual(audit.count, 6)
    }

    /// An email no account has owns no orders: the pane says so under "0 of 0", not under the
    /// previous list's "1–23 of 200".
    func testOrdersOfAnUnknownEmailAreNone() async throws {
        let (runtime, terminal) = try runtime("""
        wait-for "of 200"
        :orders user=nobody@nowhere.test<Enter>
        wait-for "no orders with"
        :q<Enter>
        """)
        let failure = try await runtime.run()
        let screen = terminal.lastScreen?.text ?? ""
        XCTAssertNil(failure, screen)
        XCTAssertTrue(screen.contains("Orders 0 of 0"), screen)
    }

    func testScriptFailsWhenTheTextNeverAppears() async throws {
        let (runtime, _) = try runtime("wait-for \"NO SUCH TEXT\" 300ms")
        let failure = try await runtime.run()
        XCTAssertEqual(failure, "script line 1: \"NO SUCH TEXT\" did not appear within 300 ms")
    }

    func testEventsReachTheScreenAndRowsUpdateInPlace() async throws {
        let (runtime, terminal) = try runtime("wait-for \"Events\"")
        let task = Task { try await runtime.run() }
        try await Task.sleep(for: .milliseconds(500))
        let user = try await system.auth.user(email: "minjun.kim@example.com")!
        let order = try await system.orders.place(actor: .system("test"), forUser: user.id, PlaceOrderRequest(items: [.init(productId: 1, quantity: 1)], shippingAddress: "Seoul"))
        _ = try await system.waitForOrder(id: order.id, actor: .system("test"))
        // The live stream shows the new order's events without any key press.
        let deadline = Date().addingTimeInterval(5)
        while !runtime.screenText.contains("order #\(order.id) PENDING → PAID"), Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        XCTAssertTrue(runtime.screenText.contains("order #\(order.id) PENDING → PAID"), runtime.screenText)
        runtime.inject([.key(.ctrl("c"))])
        _ = try await task.value
        XCTAssertGreaterThan(terminal.frames, 1)
    }

    /// The stream's backlog is the last 6 events of all topics; a topic filter shows that
    /// topic's last 6 (the seed's newest orders, 195–200), fetched from the log.
    func testATopicFilterShowsTheTopicsLastEventsFromTheLog() async throws {
        let (runtime, terminal) = try runtime("""
        wait-for "Events"
        :events topic=order-created<Enter>
        wait-for "topic=order-created"
        wait-for "order #195 created"
        :q<Enter>
        """, backlog: 6)
        let failure = try await runtime.run()
        XCTAssertNil(failure, terminal.lastScreen?.text ?? "")
        let screen = terminal.lastScreen?.text ?? ""
        for id in 195...200 { XCTAssertTrue(screen.contains("order #\(id) created"), "order #\(id):\n\(screen)") }
    }

    func testReadOnlyConsoleChangesNothing() async throws {
        let before = try await system.orders.list(actor: .system("t"), page: PageRequest(page: 0, size: 1)).totalElements
        let countsBefore = try await system.orders.countByStatus()
        let (runtime, _) = try runtime("""
        wait-for "Orders"
        n
        wait-for "read-only console"
        2
        x
        y
        :q<Enter>
        """, readOnly: true)
        let failure = try await runtime.run()
        XCTAssertNil(failure)
        let after = try await system.orders.list(actor: .system("t"), page: PageRequest(page: 0, size: 1)).totalElements
        XCTAssertEqual(before, after)
        let countsAfter = try await system.orders.countByStatus()
        XCTAssertEqual(countsBefore, countsAfter)
        XCTAssertTrue(AuditLog(path: directory + "/audit.log").recent().isEmpty)
    }

    /// Thousands of random keys in every view: the console never crashes, and the data stays consistent.
    func testKeystrokeFuzzNeverCrashesOrCorrupts() async throws {
        var generator = SplitMix64(seed: 20261125)
        let alphabet: [Key] = "jkgGnrxCRuald/?:1234 5<>IsptwfTA!cyy".map { Key.char($0) }.filter { $0 != .char("q") }
            + [.enter, .escape, .tab, .backTab, .up, .down, .left, .right, .pageUp, .pageDown, .home, .end, .backspace, .ctrl("r"), .ctrl("u")]
        var script = "wait 200ms\n"
        for _ in 0..<6000 {
            let key = alphabet[Int(generator.next() % UInt64(alphabet.count))]
            if case .char(let c) = key, c != " ", c != "<", c != ">" { script += String(c) } else { script += "<\(key.scriptName)>" }
            if generator.next() % 40 == 0 { script += "\n" }
        }
        script += "\n<Esc><Esc><Esc><Esc>:q<Enter>\n"
        var options = ConsoleOptions()
        options.script = try KeyScript.parse(script)
        options.speed = 2000
        options.auditPath = directory + "/audit.log"
        for size in [(160, 45), (80, 24), (40, 12)] {
            let terminal = HeadlessTerminal(width: size.0, height: size.1)
            let runtime = ConsoleRuntime(backend: EmbeddedBackend(system: system, operatorName: "fuzz"), terminal: terminal, theme: .fallback, options: options)
            let watchdog = Task {
                try await Task.sleep(for: .seconds(120))
                runtime.inject([.key(.ctrl("c"))])
            }
            let failure = try await runtime.run()
            watchdog.cancel()
            XCTAssertNil(failure)
            XCTAssertGreaterThan(terminal.frames, 0)
        }
        await system.drain(timeout: .seconds(10))
        let actions = AuditLog(path: directory + "/audit.log").recent(limit: 10_000)
        XCTAssertGreaterThan(actions.count, 0, "the fuzz should have confirmed some actions")
        print("fuzz: \(actions.count) actions, \(actions.filter(\.ok).count) succeeded")
        // Every order agrees with its payment: a PAID order was charged, a cancelled one keeps no money.
        let admin = Actor.system("check")
        let orders = try await system.orders.list(actor: admin, page: PageRequest(page: 0, size: 200)).content
        for order in orders {
            let payment = try? await system.payments.payment(actor: admin, orderId: order.id)
            switch order.status {
            case .paid, .completed:
                XCTAssertTrue([.success, .refundPending].contains(payment?.status), "order \(order.id) is \(order.status.rawValue), payment \(String(describing: payment?.status))")
            case .cancelled:
                XCTAssertNotEqual(payment?.status, .success, "cancelled order \(order.id) kept its money")
            case .failed:
                XCTAssertEqual(payment?.status, .failed, "order \(order.id)")
            default: break
            }
        }
    }

    /// The runtime keeps a handle on each fetch only while it runs: a dashboard left on for days
    /// starts one every two seconds (the registry) and several per event, and kept them all
    /// (about 1.5 KB each, 1.5 MB a minute on a busy system).
    func testFinishedFetchesAreNotKept() async throws {
        // Twenty refreshes, each fetching every pane and the counts once the last ones are done.
        let refreshes = Array(repeating: "<C-r>\nwait 100ms", count: 20).joined(separator: "\n")
        var options = ConsoleOptions()
        options.script = try KeyScript.parse("wait-for \"2 Orders 1–\"\n\(refreshes)\n:q<Enter>")
        options.speed = 1
        let backend = EmbeddedBackend(system: system, operatorName: "test:ops")
        let runtime = ConsoleRuntime(backend: backend, terminal: HeadlessTerminal(width: 160, height: 45), theme: .fallback, options: options)
        let failure = try await runtime.run()
        XCTAssertNil(failure)
        // Left when it quit: the event stream, the script, and at most one fetch of each kind
        // (users, orders, payments, registry, counts: a second one waits for the first).
        XCTAssertLessThanOrEqual(runtime.tasksRunning, 7)
    }
}
