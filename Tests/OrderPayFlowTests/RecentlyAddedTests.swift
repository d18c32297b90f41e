@testable import OrderPayStore
import XCTest

/// The bound behind the event log's in-memory windows: an always-on process must not grow.
final class RecentlyAddedTests: XCTestCase {
    func testKeepsTheLastAddedAndHandsBackWhatAgedOut() {
        var recent = RecentlyAdded<Int, String>(capacity: 3)
        var gone: [String] = []
        for key in 1...10 { gone += recent.add("v\(key)", for: key) }
        XCTAssertEqual(gone, (1...7).map { "v\($0)" })
        XCTAssertEqual((1...10).compactMap { recent[$0] }, ["v8", "v9", "v10"])
    }

    func testValuesTakenOutEarlyDoNotLetItGrow() {
        var recent = RecentlyAdded<Int, Int>(capacity: 2)
        for key in 1...1000 {
            recent.add(key, for: key)
            XCTAssertEqual(recent.remove(key), key)
        }
        recent.add(1001, for: 1001)
        recent.add(1002, for: 1002)
        recent.add(1003, for: 1003)
        XCTAssertNil(recent[1001], "the bound counts additions")
        XCTAssertEqual(recent[1003], 1003)
    }
}

/// The ring behind the log's and the outboxes' in-memory windows: the last keys added, in a fixed
/// number of slots, and never a value under a key it was not added for.
final class RecentRingTests: XCTestCase {
    func testKeepsTheLastKeysAndHandsBackWhatAgedOut() {
        var ring = RecentRing<String>(capacity: 3)
        var gone: [Int64] = []
        for key in Int64(1)...10 { if let old = ring.add("v\(key)", for: key) { gone.append(old.key) } }
        XCTAssertEqual(gone, Array(1...7))
        XCTAssertEqual((1...10).compactMap { ring[$0] }, ["v8", "v9", "v10"])
    }

    func testAKeyNeverAnswersForAnotherInItsSlot() {
        var ring = RecentRing<Int64>(capacity: 4)
        ring.add(1, for: 1)
        ring.add(9, for: 9)   // same slot as 1 and 5
        XCTAssertNil(ring[1])
        XCTAssertNil(ring[5])
        XCTAssertEqual(ring[9], 9)
        XCTAssertNil(ring.add(90, for: 9), "re-adding a key replaces it; nothing aged out")
        XCTAssertEqual(ring[9], 90)
        XCTAssertNil(ring[0])
    }
}
