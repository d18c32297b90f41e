import Foundation
import OrderPayCore
import OrderPayServices
import OrderPayStore
import OrderPayTestSupport
import XCTest

/// A store's point lookups wait for a read connection on the calling thread; its list pages
/// hold one while their task waits for a thread to resume on. Swift has one cooperative thread
/// per core: they must never all wait for a connection that only a task waiting for one of them
/// can give back. (An orders process deadlocked so after 38 minutes of a console's load.)
final class ReaderPoolTests: XCTestCase {
    func testPointReadsBesideListPagesNeverDeadlock() throws {
        let directory = try temporaryDirectory("orderpay-readers")
        let store = try SQLiteOrderStore(path: directory.appendingPathComponent("orders.sqlite").path)
        let done = DispatchSemaphore(value: 0)
        let failure = LockedFailure()
        Task {
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for reader in 0..<64 {
                        group.addTask {
                            for _ in 0..<40 {
                                if reader.isMultiple(of: 2) {
                                    _ = try await store.list(OrderFilter(), page: PageRequest(page: 0, size: 20))
                                } else {
                                    _ = try await store.countByStatus()
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            } catch {
                failure.set("\(error)")
            }
            done.signal()
        }
        // Waited for on this (XCTest's) thread: a deadlock holds every cooperative thread, so an
        // async test could not even notice it. A generous guard, not a speed check.
        guard done.wait(timeout: .now() + 120) == .success else {
            // The cooperative threads stay blocked: no later async test could run. Say why and stop.
            FileHandle.standardError.write(Data("ReaderPoolTests: list pages and point reads deadlocked the cooperative threads\n".utf8))
            XCTFail("list pages and point reads deadlocked")
            exit(1)
        }
        XCTAssertNil(failure.value)
    }
}

private final class LockedFailure: @unchecked Sendable {
    private let lock = NSLock()
    private var text: String?
    var value: String? { lock.withLock { text } }
    func set(_ value: String) { lock.withLock { text = value } }
}
