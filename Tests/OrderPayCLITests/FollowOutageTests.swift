import Foundation
import OrderPayCore
import OrderPayTestSupport
import XCTest

/// `events tail --follow` outlives its database going away and coming back, as the services do:
/// it ended with exit 6 ("PostgreSQL … refuses connections") the first time a read failed.
/// PostgreSQL only: the server is put out of reach by a TCP proxy in front of it being stopped.
final class FollowOutageTests: XCTestCase {
    func testFollowingGoesOnAcrossADatabaseOutage() async throws {
        try XCTSkipUnless(TestEngine.isPostgres, "cuts a PostgreSQL server off with a proxy")
        let fresh = try await TestEngine.freshDatabase()
        let url = try XCTUnwrap(fresh)
        let server = try XCTUnwrap(URLComponents(string: url))
        var proxy = try TCPForwarder(to: server.host ?? "127.0.0.1", server.port ?? 5432)
        defer { proxy.stop() }
        var proxied = server
        proxied.port = proxy.port
        let database = try XCTUnwrap(proxied.string)
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-follow-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let seeded = try CLITests.run(["seed", "--database", database], data: data)
        XCTAssertEqual(seeded.status, 0, seeded.stderr)

        let tail = Process()
        tail.executableURL = CLITests.binary
        tail.arguments = ["events", "tail", "--follow", "--last", "0", "--database", database, "--data", data]
        let out = Pipe(), err = Pipe()
        tail.standardOutput = out
        tail.standardError = err
        let printed = Mutex(""), warned = Mutex("")
        out.fileHandleForReading.readabilityHandler = { handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            printed.withLock { $0 += text }
        }
        err.fileHandleForReading.readabilityHandler = { handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            warned.withLock { $0 += text }
        }
        try tail.run()
        defer { if tail.isRunning { kill(tail.processIdentifier, SIGKILL) } }
        try await Task.sleep(for: .seconds(2))

        // The server out of reach for a while: the follower says so and waits.
        proxy.stop()
        try await Task.sleep(for: .seconds(9))
        XCTAssertTrue(tail.isRunning, "the follower ended (exit \(tail.isRunning ? 0 : tail.terminationStatus)): \(warned.withLock { $0 })")
        XCTAssertTrue(warned.withLock { $0 }.contains("still following"), warned.withLock { $0 })

        // Back: an order placed now is printed, once.
        proxy = try TCPForwarder(to: server.host ?? "127.0.0.1", server.port ?? 5432, on: proxy.port)
        let placed = try CLITests.run(["orders", "place", "--user", "minjun.kim@example.com", "--item", "1:1", "--database", database], data: data)
        XCTAssertEqual(placed.status, 0, placed.stderr)
        let deadline = ContinuousClock.now + .seconds(20)
        while !printed.withLock({ $0.contains("order-created@200") }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        let text = printed.withLock { $0 }
        XCTAssertEqual(text.components(separatedBy: "order-created@200").count, 2, text)
        XCTAssertTrue(warned.withLock { $0 }.contains("following again"), warned.withLock { $0 })
        XCTAssertEqual(warned.withLock { $0 }.split(separator: "\n").count, 2, warned.withLock { $0 })
    }
}

/// A value behind a lock, for the pipes' handlers.
final class Mutex<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T { lock.lock(); defer { lock.unlock() }; return body(&value) }
}
