@testable import OrderPayKafka
import XCTest

/// librdkafka repeats itself through a broker outage (every reconnect, each as FAIL and ERROR):
/// a line is shown once per quiet period, then with how often it was held back.
final class KafkaLoggingTests: XCTestCase {
    func testARepeatedLineIsShownOncePerQuietPeriodWithItsCount() {
        let line = "test-\(UUID().uuidString): Connect to ipv4#127.0.0.1:1 failed: Connection refused"
        let start = ContinuousClock.now
        XCTAssertEqual(KafkaLogging.repeats(of: line, now: start), 0)
        for second in 1...5 { XCTAssertNil(KafkaLogging.repeats(of: line, now: start + .seconds(second))) }
        XCTAssertEqual(KafkaLogging.repeats(of: line, now: start + KafkaLogging.quietPeriod + .seconds(1)), 5)
        XCTAssertEqual(KafkaLogging.repeats(of: "another \(line)", now: start + .seconds(2)), 0, "other lines are not held back")
    }
}
