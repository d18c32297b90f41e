import Foundation
import OrderPayCore
import XCTest

/// The hand-written payload JSON must be what JSONEncoder writes, byte for byte, and decode back
/// to the same payload: events written before and after the change read the same.
final class EventPayloadJSONTests: XCTestCase {
    func payload(_ random: inout SplitMix64) -> EventPayload {
        let id = { (random: inout SplitMix64) in Int64.random(in: [0...9, 1...Int64.max].randomElement(using: &random)!, using: &random) }
        switch Int.random(in: 0..<3, using: &random) {
        case 0:
            return .orderCreated(OrderCreated(orderId: id(&random), orderNumber: TimeOrderedID.make(), userId: id(&random),
                                              totalAmount: RandomJSONValues.money(&random), paymentMethod: PaymentMethod.allCases.randomElement(using: &random)!,
                                              paymentToken: RandomJSONValues.text(&random)))
        case 1:
            return .paymentProcessed(PaymentProcessed(orderId: id(&random), paymentId: id(&random), amount: RandomJSONValues.money(&random),
                                                      status: [.success, .failed, .refunded, .cancelled].randomElement(using: &random)!,
                                                      failureReason: Bool.random(using: &random) ? RandomJSONValues.text(&random) : nil,
                                                      attempt: Int.random(in: 1...1000, using: &random)))
        default:
            return .orderStatusUpdated(OrderStatusUpdated(orderId: id(&random), userId: id(&random),
                                                          from: Bool.random(using: &random) ? OrderStatus.allCases.randomElement(using: &random) : nil,
                                                          to: OrderStatus.allCases.randomElement(using: &random)!,
                                                          reason: Bool.random(using: &random) ? RandomJSONValues.text(&random) : nil))
        }
    }

    func encodedByFoundation(_ payload: EventPayload) throws -> String {
        let data: Data
        switch payload {
        case .orderCreated(let p): data = try JSONCoding.encoder.encode(p)
        case .paymentProcessed(let p): data = try JSONCoding.encoder.encode(p)
        case .orderStatusUpdated(let p): data = try JSONCoding.encoder.encode(p)
        case .undecodable(let e): return e.json
        }
        return String(decoding: data, as: UTF8.self)
    }

    func testMatchesJSONEncoderByteForByte() throws {
        // Seeded, so a failure names a payload that can be reproduced.
        var random = SplitMix64(seed: 20261126)
        for index in 0..<5_000 {
            let payload = payload(&random)
            let written = payload.encodedJSON()
            XCTAssertEqual(written, try encodedByFoundation(payload), "payload #\(index): \(payload)")
            XCTAssertEqual(try EventPayload.decode(type: payload.typeName, json: written), payload, "payload #\(index)")
        }
    }

    func testEscapesAndMoney() {
        let failed = EventPayload.paymentProcessed(PaymentProcessed(orderId: 7, paymentId: 9, amount: Money(minorUnits: -5), status: .failed,
                                                                     failureReason: "say \"no\"\\\n\u{1}/", attempt: 2))
        XCTAssertEqual(failed.encodedJSON(),
                       #"{"amount":-0.05,"attempt":2,"failureReason":"say \"no\"\\\n\u0001/","orderId":7,"paymentId":9,"status":"FAILED"}"#)
        let created = EventPayload.orderStatusUpdated(OrderStatusUpdated(orderId: 1, userId: 2, from: nil, to: .created, reason: nil))
        XCTAssertEqual(created.encodedJSON(), #"{"orderId":1,"to":"CREATED","userId":2}"#)
    }
}
