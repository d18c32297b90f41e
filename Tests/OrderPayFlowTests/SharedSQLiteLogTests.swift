import Foundation
import OrderPayCore
import OrderPayServices
import OrderPayStore
import OrderPayTestSupport
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

    func testTwoRelaysOfOneOutboxCopyEachEventOnce() async throws {
        let (a, b) = try twoLogs()
        let events = try (1...5).map { try SerializedEvent(created(Int64($0))) }
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
