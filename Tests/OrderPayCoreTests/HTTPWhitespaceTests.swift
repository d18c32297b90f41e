import OrderPayCore
import XCTest

final class HTTPWhitespaceTests: XCTestCase {
    func testTrimsSpacesAndTabsOnly() {
        XCTAssertEqual(" \t abc.def \t ".trimmingHTTPWhitespace(), "abc.def")
        XCTAssertEqual("abc".trimmingHTTPWhitespace(), "abc")
        XCTAssertEqual(" \t ".trimmingHTTPWhitespace(), "")
        XCTAssertEqual("".trimmingHTTPWhitespace(), "")
        // Not HTTP whitespace: kept.
        XCTAssertEqual("\nabc\r".trimmingHTTPWhitespace(), "\nabc\r")
    }

    func testKeepsAWholeMultiByteCharacterAtEitherEnd() {
        XCTAssertEqual("  é김🙂 ".trimmingHTTPWhitespace(), "é김🙂")
        XCTAssertEqual(" 🙂".trimmingHTTPWhitespace(), "🙂")
        XCTAssertEqual(Substring("x 🙂 y").dropFirst().dropLast().trimmingHTTPWhitespace(), "🙂")
    }

    func testComparesIgnoringASCIICaseOnly() {
        XCTAssertTrue("BeArEr".equalsIgnoringASCIICase("bearer"))
        XCTAssertTrue(Substring("bearer").equalsIgnoringASCIICase("bearer"))
        XCTAssertFalse("bearers".equalsIgnoringASCIICase("bearer"))
        XCTAssertFalse("béarer".equalsIgnoringASCIICase("bearer"))
        XCTAssertFalse("".equalsIgnoringASCIICase("bearer"))
    }
}
