import Foundation
import OrderPayCore
import XCTest

/// `Signal` keeps one timer for all its waiters; each must still return at its own deadline.
final class SignalTests: XCTestCase {
    func testEachWaiterTimesOutAtItsOwnDeadline() async throws {
        let signal = Signal()
        let clock = ContinuousClock(), start = clock.now
        let seen = signal.current
        async let long: Duration = { await signal.wait(after: seen, timeout: .milliseconds(600)); return clock.now - start }()
        try await Task.sleep(for: .milliseconds(20))
        async let short: Duration = { await signal.wait(after: seen, timeout: .milliseconds(50)); return clock.now - start }()   // earlier: re-arms
        let (shortTook, longTook) = await (short, long)
        XCTAssertGreaterThanOrEqual(shortTook, .milliseconds(70))
        XCTAssertLessThan(shortTook, .milliseconds(400), "the earlier deadline was met, not the later one's")
        XCTAssertGreaterThanOrEqual(longTook, .milliseconds(600), "the timer, fired for the short one, was set again for the long one")
        XCTAssertLessThan(longTook, .seconds(3))
    }

    func testNotifyWakesEveryWaiterAtOnceAndAMissedNotifyIsNotWaitedFor() async throws {
        let signal = Signal()
        let clock = ContinuousClock(), start = clock.now
        let seen = signal.current
        async let first = signal.wait(after: seen, timeout: .seconds(10))
        async let second = signal.wait(after: seen, timeout: .seconds(10))
        try await Task.sleep(for: .milliseconds(30))
        signal.notify()
        _ = await (first, second)
        await signal.wait(after: seen, timeout: .seconds(10))   // the generation moved already
        XCTAssertLessThan(clock.now - start, .seconds(5))
    }

    func testCancellingAWaiterWakesIt() async throws {
        let signal = Signal()
        let clock = ContinuousClock(), start = clock.now
        let seen = signal.current
        let waiting = Task { await signal.wait(after: seen, timeout: .seconds(10)) }
        try await Task.sleep(for: .milliseconds(30))
        waiting.cancel()
        _ = await waiting.value
        XCTAssertLessThan(clock.now - start, .seconds(5))
    }
}
