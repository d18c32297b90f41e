import Foundation
import Logging
import OrderPayConsole
import OrderPayConsoleEmbedded
import OrderPayCore
import OrderPayEmbedded
import OrderPayServices
import XCTest

/// The runtime keeps a handle on each fetch only while it runs: a dashboard left on for days
/// starts one every two seconds (the registry) and several per event, and kept them all
/// (about 1.5 KB each, 1.5 MB a minute on a busy system).
final class RuntimeTasksTests: XCTestCase {
    var directory = ""
    var system: EmbeddedSystem!

    override func setUp() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-console-\(UUID().uuidString)").path
        var configuration = EmbeddedConfiguration(dataDirectory: directory)
        configuration.bcryptCost = 4
        configuration.jwtSecret = "console-test-secret-console-test-secret-0123"
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        system = try await EmbeddedSystem.start(configuration, logger: logger)
        _ = try await DemoSeeder(system: system).seed()
    }

    override func tearDown() async throws {
        await system.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

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
