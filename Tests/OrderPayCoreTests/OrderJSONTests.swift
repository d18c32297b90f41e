import Foundation
import OrderPayCore
import XCTest

/// The hand-written order JSON must be what JSONEncoder writes, byte for byte: clients and the
/// OpenAPI document see one shape whichever encoder wrote it.
final class OrderJSONTests: XCTestCase {
    func order(_ random: inout SplitMix64) -> Order {
        let id = { (random: inout SplitMix64) in Int64.random(in: [0...9, 1...Int64.max].randomElement(using: &random)!, using: &random) }
        let date = { (random: inout SplitMix64) in Date(timeIntervalSince1970: Double.random(in: 0...4_000_000_000, using: &random)) }
        let items = (0..<Int.random(in: 0...3, using: &random)).map { _ in
            OrderItem(productId: id(&random), sku: RandomJSONValues.text(&random), productName: RandomJSONValues.text(&random),
                      quantity: Int.random(in: [0...9, 1...Int.max].randomElement(using: &random)!, using: &random),
                      unitPrice: RandomJSONValues.money(&random), subtotal: RandomJSONValues.money(&random))
        }
        return Order(id: id(&random), orderNumber: TimeOrderedID.make(), userId: id(&random),
                     status: OrderStatus.allCases.randomElement(using: &random)!, totalAmount: RandomJSONValues.money(&random),
                     shippingAddress: RandomJSONValues.text(&random), paymentMethod: PaymentMethod.allCases.randomElement(using: &random)!,
                     orderItems: items, failureReason: Bool.random(using: &random) ? RandomJSONValues.text(&random) : nil,
                     paymentAttempt: Int.random(in: 0...1000, using: &random), createdAt: date(&random), updatedAt: date(&random))
    }

    func testOrdersMatchJSONEncoderByteForByte() throws {
        var random = SplitMix64(seed: 20261126)
        for index in 0..<3_000 {
            let order = order(&random)
            XCTAssertEqual(String(decoding: order.encodedJSON(), as: UTF8.self),
                           String(decoding: try JSONCoding.encoder.encode(order), as: UTF8.self), "order #\(index): \(order)")
        }
    }

    func testPagesOfOrdersMatchJSONEncoderByteForByte() throws {
        var random = SplitMix64(seed: 7)
        for index in 0..<300 {
            let orders = (0..<Int.random(in: 0...4, using: &random)).map { _ in order(&random) }
            let page = Page(content: orders, request: PageRequest(page: Int.random(in: 0...50, using: &random), size: 20),
                            total: Int.random(in: 0...10_000, using: &random))
            XCTAssertEqual(String(decoding: page.encodedJSON(), as: UTF8.self),
                           String(decoding: try JSONCoding.encoder.encode(page), as: UTF8.self), "page #\(index)")
        }
    }

    func testAnOrderReadsBackAsItself() throws {
        let order = Order(id: 3, orderNumber: "ORD-1", userId: 2, status: .failed, totalAmount: Money(minorUnits: 1999),
                          shippingAddress: "1 Main St\n\"back\"", paymentMethod: .paypal,
                          orderItems: [OrderItem(productId: 1, sku: "SKU-1", productName: "Mug", quantity: 2,
                                                 unitPrice: Money(minorUnits: 500), subtotal: Money(minorUnits: 1000))],
                          failureReason: "card declined", paymentAttempt: 1,
                          createdAt: Date(timeIntervalSince1970: 1_700_000_000.5), updatedAt: Date(timeIntervalSince1970: 1_700_000_001))
        XCTAssertEqual(try JSONCoding.decoder.decode(Order.self, from: Data(order.encodedJSON())), order)
    }
}
