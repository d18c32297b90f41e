import Foundation
import OrderPayCore
import OrderPayServices
@testable import OrderPayStore
import OrderPayTestSupport
import Synchronization
import XCTest

/// Two `SQLiteEventLog`s on one file, as two processes on one data dir have: each serves its own
/// recent appends from memory, and neither may then miss, repeat or reorder the other's events.
final class SharedSQLiteLogTests: XCTestCase {
    var directory = ""

    override func setUp() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-shared-log-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: directory) }

    func twoLogs() throws -> (SQLiteEventLog, SQLiteEventLog) {
        let path = (directory as NSString).appendingPathComponent("events.sqlite")
        return (try SQLiteEventLog(path: path), try SQLiteEventLog(path: path))
    }

    func created(_ orderId: Int64) -> EventDraft {
        EventDraft(occurredAt: Date(), payload: .orderCreated(OrderCreated(orderId: orderId, orderNumber: "n-\(orderId)", userId: 1,
                                                                          totalAmount: Money("1.00")!, paymentMethod: .paypal, paymentToken: "tok_visa")))
    }

    /// What a consumer does: read until nothing is left.
    func readAll(_ log: any EventLog, from offset: Int64 = 0) async throws -> [Int64] {
        var ids: [Int64] = [], next = offset
        while true {
            let batch = try await log.read(topic: .orderCreated, from: next, limit: 10)
            guard let last = batch.last else { return ids }
            XCTAssertEqual(batch.map(\.offset), Array(next...last.offset), "a batch without a gap")
            ids += batch.map(\.payload.orderId)
            next = last.offset + 1
        }
    }

    func followAll(_ log: any EventLog, after sequence: Int64) async throws -> [Int64] {
        var ids: [Int64] = [], cursor = sequence
        while true {
            let batch = try await log.tail(after: cursor, topics: [.orderCreated], limit: 10)
            guard let last = batch.last else { return ids }
            ids += batch.map(\.envelope.payload.orderId)
            cursor = last.sequence
        }
    }

    func testEachReaderSeesTheOtherProcesssAppendsInOrder() async throws {
        let (a, b) = try twoLogs()
        try await a.append([created(1)])
        try await b.append([created(2)])
        try await a.append([created(3), created(4)])
        await assertEqual(try await readAll(a), [1, 2, 3, 4])
        await assertEqual(try await readAll(b), [1, 2, 3, 4])
        await assertEqual(try await readAll(a, from: 2), [3, 4])
        await assertEqual(try await a.page(topic: .orderCreated, from: 0, limit: 3).map(\.payload.orderId), [1, 2, 3])
        let first = try await a.tail(after: 0, topics: [.orderCreated], limit: 1)[0].sequence
        await assertEqual(try await followAll(a, after: first), [2, 3, 4])
        await assertEqual(try await followAll(b, after: first), [2, 3, 4])
    }

    /// A relay goes on from the last id it copied, not from the log's cursor: after another
    /// process moved the cursor past its batch, its next batch must still be looked up event by event.
    func testARelayBehindTheCursorLooksItsNextBatchUp() async throws {
        let (a, b) = try twoLogs()
        let events = (1...5).map { SerializedEvent(created(Int64($0))) }
        try await a.relay(Array(events[0..<2]), from: "orders", through: 2)
        try await b.relay(Array(events[0..<4]), from: "orders", through: 4)   // b copied 3 and 4 too
        try await a.relay([events[2]], from: "orders", through: 3)            // a read 3 before b committed
        try await a.relay(Array(events[3..<5]), from: "orders", through: 5)   // a's next batch: 4 is there
        await assertEqual(try await readAll(a), [1, 2, 3, 4, 5])
    }

    /// Served from memory or read from SQLite, an event is the same value.
    func testTheWindowServesWhatSQLiteWould() async throws {
        let (a, b) = try twoLogs()
        for i in 0..<40 {
            let draft = created(Int64(i))
            if i % 2 == 0 {
                try await a.append([draft])
            } else {
                RecentDrafts.shared.remember([draft])   // as Outbox.enqueue does: the relay takes the draft, not its JSON
                try await a.relay([SerializedEvent(draft)], from: "orders", through: Int64(i))
            }
            let fromWindow = try await a.read(topic: .orderCreated, from: Int64(i), limit: 1)
            let fromSQLite = try await b.read(topic: .orderCreated, from: Int64(i), limit: 1)
            XCTAssertEqual(fromWindow.count, 1)
            XCTAssertEqual(fromWindow, fromSQLite, "event \(i)")
            await assertEqual(try await a.tail(after: 0, topics: nil, limit: 100).last?.envelope, fromSQLite.first)
        }
    }

    /// Across topics, a follower reads SQLite: a run from memory could skip the other process's event.
    func testAFollowerOfSeveralTopicsSeesEveryProcesssEventsInOrder() async throws {
        let (a, b) = try twoLogs()
        let paid = EventDraft(occurredAt: Date(), payload: .paymentProcessed(PaymentProcessed(
            orderId: 1, paymentId: 1, amount: Money("1.00")!, status: .success, failureReason: nil, attempt: 1)))
        try await a.append([created(1)])
        try await b.append([paid])
        try await a.append([created(2)])
        for topics: Set<Topic>? in [nil, [.orderCreated, .paymentProcessed]] {
            await assertEqual(try await a.tail(after: 0, topics: topics, limit: 10).map(\.envelope.topic),
                              [.orderCreated, .paymentProcessed, .orderCreated])
        }
    }

    /// Writers on both logs at once, readers on both looping: each offset once, in order.
    func testConcurrentAppendersAndReadersOnTwoProcesses() async throws {
        let (a, b) = try twoLogs()
        let perWriter = 150, total = 4 * perWriter
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (writer, log) in [a, b, a, b].enumerated() {
                group.addTask { for i in 0..<perWriter { try await log.append([self.created(Int64(writer * 10_000 + i))]) } }
            }
            for log in [a, b] {
                group.addTask {
                    var next: Int64 = 0
                    let deadline = ContinuousClock.now + .seconds(30)
                    while next < total, ContinuousClock.now < deadline {
                        let batch = try await log.read(topic: .orderCreated, from: next, limit: 7)
                        guard let last = batch.last else { await Task.yield(); continue }
                        XCTAssertEqual(batch.map(\.offset), Array(next...last.offset))
                        next = last.offset + 1
                    }
                    XCTAssertEqual(next, Int64(total))
                }
                group.addTask {
                    var cursor: Int64 = 0, offsets: [Int64] = []
                    let deadline = ContinuousClock.now + .seconds(30)
                    while offsets.count < total, ContinuousClock.now < deadline {
                        let batch = try await log.tail(after: cursor, topics: [.orderCreated], limit: 7)
                        guard let last = batch.last else { await Task.yield(); continue }
                        offsets += batch.map(\.envelope.offset)
                        cursor = last.sequence
                    }
                    XCTAssertEqual(offsets, Array(0..<Int64(total)))
                }
            }
            try await group.waitForAll()
        }
    }

    /// Another process's append wakes this one's waiters through the file watcher, well before
    /// their timed fallback.
    func testAnotherProcesssAppendWakesThisOnesWaiters() async throws {
        let (a, b) = try twoLogs()
        try await Task.sleep(for: .milliseconds(50))   // the watchers' wake-ups for opening the files
        let clock = ContinuousClock(), start = clock.now
        Task { try await Task.sleep(for: .milliseconds(30)); try await b.append([self.created(1)]) }
        var woken = false
        while clock.now - start < .seconds(5) {
            let seen = a.appended(to: .orderCreated).current   // before the read: a wake-up after it is not missed
            if try await !a.read(topic: .orderCreated, from: 0, limit: 1).isEmpty { woken = true; break }
            await a.appended(to: .orderCreated).wait(after: seen, timeout: .seconds(5) - (clock.now - start))
        }
        XCTAssertTrue(woken)
        XCTAssertLessThan(clock.now - start, .seconds(2), "woken by the watcher, not the 5 s timeout")
    }

    /// One change to the watched file gives one call after the burst's window, then one after
    /// each settle delay (a SQLite commit can become visible after its WAL write is seen).
    func testAChangeIsFollowedBySettleCalls() async throws {
        let file = (directory as NSString).appendingPathComponent("log-wal")
        FileManager.default.createFile(atPath: file, contents: Data())
        let calls = Mutex(0)
        let watcher = try XCTUnwrap(FileChangeWatcher(directory: directory, fileNames: ["log-wal"], window: .milliseconds(2),
                                                      settle: [.milliseconds(10), .milliseconds(50)]) { calls.withLock { $0 += 1 } })
        defer { watcher.stop() }
        func write() throws {
            let handle = try XCTUnwrap(FileHandle(forWritingAtPath: file))
            handle.seekToEndOfFile()
            handle.write(Data("frame".utf8))
            try handle.close()
        }
        func settle(at count: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(5)
            while calls.withLock({ $0 }) < count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            try await Task.sleep(for: .milliseconds(150))   // and no more after the last settle call
            XCTAssertEqual(calls.withLock { $0 }, count)
        }
        try write()
        try await settle(at: 3)
        try write()
        try await settle(at: 6)
    }

    func testTwoRelaysOfOneOutboxCopyEachEventOnce() async throws {
        let (a, b) = try twoLogs()
        let events = (1...5).map { SerializedEvent(created(Int64($0))) }
        try await a.relay(Array(events[0..<2]), from: "orders", through: 2)
        try await b.relay(Array(events[0..<3]), from: "orders", through: 3)   // read the outbox before a's commit
        try await a.relay(Array(events[2..<4]), from: "orders", through: 4)   // event 3 is in the log already
        try await a.relay([events[4]], from: "orders", through: 5)
        await assertEqual(try await readAll(a), [1, 2, 3, 4, 5])
        await assertEqual(try await readAll(b), [1, 2, 3, 4, 5])
        await assertEqual(try await a.relayCursor(source: "orders"), 5)
        try await b.relay([events[1]], from: "orders", through: 2)   // a late, stale copy moves nothing
        await assertEqual(try await readAll(b), [1, 2, 3, 4, 5])
        await assertEqual(try await b.relayCursor(source: "orders"), 5)
    }
}
