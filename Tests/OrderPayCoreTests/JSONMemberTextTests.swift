import Foundation
import OrderPayCore
import XCTest

final class JSONMemberTextTests: XCTestCase {
    func testFindsATopLevelMemberAsWritten() {
        let json = #"{"eventId":"e-1","payload" : {"a":[1,{"b":"}]\"{"}],"c":-1.50e3} ,"type":"X","n":42,"t":true}"#
        XCTAssertEqual(JSONMemberText.value(of: "payload", in: Array(json.utf8)), #"{"a":[1,{"b":"}]\"{"}],"c":-1.50e3}"#)
        XCTAssertEqual(JSONMemberText.value(of: "type", in: Array(json.utf8)), #""X""#)
        XCTAssertEqual(JSONMemberText.value(of: "n", in: Array(json.utf8)), "42")
        XCTAssertEqual(JSONMemberText.value(of: "t", in: Array(json.utf8)), "true")
        XCTAssertEqual(JSONMemberText.value(of: "eventId", in: Array(json.utf8)), #""e-1""#)
    }

    func testOnlyTheTopLevelIsSearched() {
        let json = #"{"outer":{"payload":1},"payload":[2]}"#
        XCTAssertEqual(JSONMemberText.value(of: "payload", in: Array(json.utf8)), "[2]")
        XCTAssertNil(JSONMemberText.value(of: "payload", in: Array(#"{"outer":{"payload":1}}"#.utf8)))
    }

    func testMalformedTextGivesNil() {
        for text in ["", "[]", #"{"payload""#, #"{"payload":{"a":1"#, #"{"a":1 "payload":2}"#, #"{"payload":"open}"#] {
            XCTAssertNil(JSONMemberText.value(of: "payload", in: Array(text.utf8)), text)
        }
    }

    /// An older process that could not read an event passes it on wrapped with its text; a
    /// version that knows the type reads it.
    func testAPassedOnEventIsReadByAVersionThatKnowsIt() throws {
        let json = #"{"eventId":"e-9","key":"5","occurredAt":"2026-11-26T10:00:00.000Z","offset":3,"topic":"order-created","type":"OrderCreated","#
            + #""payload":{"undecodable":"unknown event type OrderCreated","raw":"{\"orderId\":5,\"orderNumber\":\"n-5\",\"paymentMethod\":\"PAYPAL\",\"paymentToken\":\"tok_visa\",\"totalAmount\":1.5,\"userId\":2}"}}"#
        let envelope = try JSONCoding.decoder.decode(EventEnvelope.self, from: Data(json.utf8))
        guard case .orderCreated(let created) = envelope.payload else { return XCTFail("read as \(envelope.payload)") }
        XCTAssertEqual(created.orderId, 5)
        XCTAssertEqual(created.totalAmount, Money(minorUnits: 150))
    }
}
