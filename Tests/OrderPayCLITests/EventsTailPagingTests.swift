import Foundation
import OrderPayCore
import OrderPayStore
import OrderPayTestSupport
import XCTest

/// `events tail --topic T --from N` on a topic longer than the command's page of events (500):
/// every event from N on, in offset order, none left out and none twice, with and without
/// `--follow`. SQLite only: the events are appended to the data dir's log file directly.
final class EventsTailPagingTests: XCTestCase {
    /// Offsets 0..<count of order-status-updated, with an order-created between every other
    /// pair, so the topic's events are not the log's and a page of one is not a page of the other.
    static func append(_ range: Range<Int>, to log: SQLiteEventLog) async throws {
        var drafts: [EventDraft] = []
        for i in range {
            let id = Int64(i + 1)
            drafts.append(EventDraft(occurredAt: Date(), payload: .orderStatusUpdated(
                OrderStatusUpdated(orderId: id, userId: 1, from: .created, to: .pending, reason: nil))))
            if i % 2 == 0 {
                drafts.append(EventDraft(occurredAt: Date(), payload: .orderCreated(OrderCreated(
                    orderId: id, orderNumber: "n-\(id)", userId: 1, totalAmount: Money(minorUnits: 100),
                    paymentMethod: .creditCard, paymentToken: "tok_visa"))))
            }
        }
        try await log.append(drafts)
    }

    /// The topic offsets of the order-status-updated events in `--json` output, in printed order.
    static func offsets(_ output: String) throws -> [Int64] {
        try output.split(separator: "\n").map { line in
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
            XCTAssertEqual(object["topic"] as? String, "order-status-updated", String(line))
            return try XCTUnwrap((object["offset"] as? NSNumber)?.int64Value, String(line))
        }
    }

    func testATopicLongerThanOnePageIsPrintedWholeInOrder() async throws {
        try XCTSkipIf(TestEngine.isPostgres, "appends to the data dir's SQLite event log")
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-tail-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: data) }
        let log = try SQLiteEventLog(path: (data as NSString).appendingPathComponent("events.sqlite"))
        try await Self.append(0..<1_300, to: log)

        // From the start: three pages' worth, all of it (only the first page was printed).
        let all = try CLITests.run(["events", "tail", "--topic", "order-status-updated", "--from", "0", "--json"], data: data)
        XCTAssertEqual(all.status, 0, all.stderr)
        XCTAssertEqual(try Self.offsets(all.stdout), Array(0..<1_300))

        // From an offset in the third page: found without the topic in memory, and from there on.
        let late = try CLITests.run(["events", "tail", "--topic", "order-status-updated", "--from", "1100", "--json"], data: data)
        XCTAssertEqual(late.status, 0, late.stderr)
        XCTAssertEqual(try Self.offsets(late.stdout), Array(1_100..<1_300))

        // Past the end: nothing yet.
        let none = try CLITests.run(["events", "tail", "--topic", "order-status-updated", "--from", "5000", "--json"], data: data)
        XCTAssertEqual(none.status, 0, none.stderr)
        XCTAssertEqual(none.stdout, "")

        // Following from an early offset: the old events page by page, then new ones (more than a
        // page of them, appended at once) seamlessly after them.
        let tail = Process()
        tail.executableURL = CLITests.binary
        tail.arguments = ["events", "tail", "--topic", "order-status-updated", "--from", "200", "--json", "--follow", "--data", data]
        let out = Pipe()
        tail.standardOutput = out
        tail.standardError = FileHandle.nullDevice
        let printed = Mutex("")
        out.fileHandleForReading.readabilityHandler = { handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            printed.withLock { $0 += text }
        }
        try tail.run()
        defer { if tail.isRunning { kill(tail.processIdentifier, SIGKILL) } }
        func waitForLines(_ count: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(60)
            while printed.withLock({ $0.filter { $0 == "\n" }.count }) < count, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        try await waitForLines(1_100)
        try await Self.append(1_300..<2_000, to: log)
        try await waitForLines(1_800)
        kill(tail.processIdentifier, SIGTERM)
        tail.waitUntilExit()
        out.fileHandleForReading.readabilityHandler = nil
        let rest = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        printed.withLock { $0 += rest }
        XCTAssertEqual(try Self.offsets(printed.withLock { $0 }), Array(200..<2_000))
    }
}
