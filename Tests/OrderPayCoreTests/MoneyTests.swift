import Foundation
import OrderPayCore
import XCTest

final class MoneyTests: XCTestCase {
    struct Box: Codable, Equatable { let amount: Money }

    func decode(_ json: String) throws -> Money {
        try JSONCoding.decoder.decode(Box.self, from: Data(json.utf8)).amount
    }

    func encode(_ money: Money) throws -> String {
        String(decoding: try JSONCoding.encoder.encode(Box(amount: money)), as: UTF8.self)
    }

    func testJSONNumbersDecodeExactly() throws {
        XCTAssertEqual(try decode(#"{"amount": 19.99}"#).minorUnits, 1999)
        XCTAssertEqual(try decode(#"{"amount": 0.1}"#).minorUnits, 10)
        XCTAssertEqual(try decode(#"{"amount": 20}"#).minorUnits, 2000)
    }

    func testPointOnePlusPointTwoIsPointThree() throws {
        let sum = try decode(#"{"amount": 0.1}"#) + decode(#"{"amount": 0.2}"#)
        XCTAssertEqual(sum, try decode(#"{"amount": 0.3}"#))
        XCTAssertEqual(sum.description, "0.30")
    }

    func testSixteenSignificantDigitsRoundTrip() throws {
        let amount = try decode(#"{"amount": 12345678901234.56}"#)
        XCTAssertEqual(amount.minorUnits, 1_234_567_890_123_456)
        XCTAssertEqual(try encode(amount), #"{"amount":12345678901234.56}"#)
        XCTAssertEqual(try encode(Money(minorUnits: 1999)), #"{"amount":19.99}"#)
        XCTAssertEqual(try encode(Money(minorUnits: 5)), #"{"amount":0.05}"#)
    }

    func testRejectsAmountsThatWouldNeedRounding() {
        XCTAssertThrowsError(try decode(#"{"amount": 1.999}"#))
        XCTAssertThrowsError(try decode(#"{"amount": "abc"}"#))
        XCTAssertThrowsError(try decode(#"{"amount": 1e30}"#))
        // A JSON number only, as /openapi.json says: a string is the wrong type however it reads.
        XCTAssertThrowsError(try decode(#"{"amount": "7.05"}"#))
        // Within the largest whole amount 64-bit cents hold, the document's maximum.
        XCTAssertEqual(try decode(#"{"amount": 92233720368547758}"#), Money(minorUnits: 9_223_372_036_854_775_800))
        XCTAssertThrowsError(try decode(#"{"amount": 92233720368547758.07}"#))
        XCTAssertThrowsError(try Money(minorUnits: 9_223_372_036_854_775_800) + Money(minorUnits: 1))
        XCTAssertNil(Money("1.005"))
        XCTAssertNil(Money("1e3"))
        XCTAssertNil(Money(""))
    }

    func testSubtotalsAndTotalsAreExact() throws {
        let price = Money("19.99")!
        XCTAssertEqual(try price.times(3), Money("59.97"))
        XCTAssertEqual(try Money.sum([Money("0.10")!, Money("0.20")!, try price.times(999)]), Money("19970.31"))
        XCTAssertThrowsError(try Money(minorUnits: .max).times(2))
    }

    func testDescriptionAlwaysHasTwoDecimals() {
        XCTAssertEqual(Money(minorUnits: -150).description, "-1.50")
        XCTAssertEqual(Money(minorUnits: 100).description, "1.00")
    }
}
