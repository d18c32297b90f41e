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
