import Foundation
import Hummingbird
import HummingbirdTesting
import OrderPayCore
import OrderPayHTTP
import OrderPayServices
import XCTest

final class OrderRoutesTests: XCTestCase {
    func testPlaceFollowAndList() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let customer = try await client.token(t.customer)
            let placed = try await client.call(.post, "/api/orders", token: customer, body: t.placeRequest())
            XCTAssertEqual(placed.status, .created, placed.text)
            let order = try placed.decode(Order.self)
            XCTAssertEqual(order.totalAmount, Money("60.17"))
            XCTAssertTrue(placed.text.contains(#""totalAmount":60.17"#), placed.text)
            XCTAssertTrue(placed.text.contains(#""orderItems":["#), placed.text)

            let paid = try await t.settled(order.id)
            XCTAssertEqual(paid.status, .paid)
            let fetched = try await client.call(.get, "/api/orders/\(order.id)", token: customer).decode(Order.self)
            XCTAssertEqual(fetched.status, .paid)
            let history = try await client.call(.get, "/api/orders/\(order.id)/history", token: customer).decode([OrderHistoryEntry].self)
            XCTAssertEqual(history.map(\.to), [.created, .pending, .paid])

            let mine = try await client.call(.get, "/api/orders?page=0&size=10", token: customer).decode(Page<Order>.self)
            XCTAssertEqual(mine.content.map(\.id), [order.id])
            let byStatus = try await client.call(.get, "/api/orders/status/PAID", token: customer).decode(Page<Order>.self)
            XCTAssertEqual(byStatus.content.map(\.id), [order.id])
            let lowercase = try await client.call(.get, "/api/orders/status/created", token: customer).decode(Page<Order>.self)
            XCTAssertEqual(lowercase.totalElements, 0)
            try await client.call(.get, "/api/orders/status/SHIPPED", token: customer).problem(400, containing: "PAID")
            try await client.call(.get, "/api/orders?userId=\(t.other.id)", token: customer).problem(403)

            let admin = try await client.token(t.admin)
            let filtered = try await client.call(.get, "/api/orders?status=PAID&userId=\(t.customer.id)", token: admin).decode(Page<Order>.self)
            XCTAssertEqual(filtered.content.map(\.id), [order.id])
            try await client.call(.get, "/api/orders/status/PAID?userId=\(t.other.id)", token: customer).problem(403)
            let oneUsersPaid = try await client.call(.get, "/api/orders/status/PAID?userId=\(t.customer.id)", token: admin).decode(Page<Order>.self)
            XCTAssertEqual(oneUsersPaid.content.map(\.id), [order.id])
            let othersPaid = try await client.call(.get, "/api/orders/status/PAID?userId=\(t.other.id)", token: admin).decode(Page<Order>.self)
            XCTAssertEqual(othersPaid.totalElements, 0, "userId ignored on the by-status route")
            let everyone = try await client.call(.get, "/api/orders", token: admin).decode(Page<Order>.self)
            XCTAssertEqual(everyone.totalElements, 1)

            try await client.call(.post, "/api/orders/\(order.id)/complete", token: customer).problem(403)
            let completed = try await client.call(.post, "/api/orders/\(order.id)/complete", token: admin)
            XCTAssertEqual(try completed.decode(Order.self).status, .completed)
            try await client.call(.post, "/api/orders/\(order.id)/cancel", token: admin).problem(409)
        }
    }

    func testIdempotencyKeyReturnsTheFirstOrder() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let customer = try await client.token(t.customer)
            let first = try await client.call(.post, "/api/orders", token: customer, body: t.placeRequest(), headers: [.idempotencyKey: "checkout-42"])
            XCTAssertEqual(first.status, .created, first.text)
            let again = try await client.call(.post, "/api/orders", token: customer, body: t.placeRequest(), headers: [.idempotencyKey: "checkout-42"])
            XCTAssertEqual(again.status, .ok, again.text)
            XCTAssertEqual(try again.decode(Order.self).id, try first.decode(Order.self).id)
            var different = t.placeRequest()
            different.shippingAddress = "somewhere else"
            try await client.call(.post, "/api/orders", token: customer, body: different, headers: [.idempotencyKey: "checkout-42"])
                .problem(422, containing: "already used for a different order")
            let fresh = try await client.call(.post, "/api/orders", token: customer, body: t.placeRequest(), headers: [.idempotencyKey: "checkout-43"])
            XCTAssertEqual(fresh.status, .created)
            XCTAssertNotEqual(try fresh.decode(Order.self).id, try first.decode(Order.self).id)
            // A malformed header is a bad request (400, as a malformed query parameter is), naming the header.
            let tooLong = String(repeating: "k", count: 201)
            let long = try await client.call(.post, "/api/orders", token: customer, body: t.placeRequest(), headers: [.idempotencyKey: tooLong])
                .problem(400, containing: "header 'Idempotency-Key' must be 1–200 visible ASCII characters")
            XCTAssertEqual(long.errors.map(\.field), ["Idempotency-Key"])
            // Bytes that are not UTF-8 decode lossily ("k\u{FFFD}" for both of these), so they are refused, not matched.
            for bytes: [UInt8] in [[0x6B, 0xFF], [0x6B, 0xFE]] {
                let raw = HTTPFields([HTTPFields.Element(name: .idempotencyKey, lenientValue: bytes)])
                try await client.call(.post, "/api/orders", token: customer, body: t.placeRequest(), headers: raw)
                    .problem(400, containing: "visible ASCII")
            }
            // Given twice, which key counts is anyone's guess: said so, as for a query parameter.
            let twice = HTTPFields([HTTPFields.Element(name: .idempotencyKey, value: "checkout-44"),
                                    HTTPFields.Element(name: .idempotencyKey, value: "checkout-45")])
            let repeated = try await client.call(.post, "/api/orders", token: customer, body: t.placeRequest(), headers: twice)
                .problem(400, containing: "header 'Idempotency-Key' is given more than once")
            XCTAssertEqual(repeated.errors.map(\.field), ["Idempotency-Key"])
        }
    }

    func testCancelAnUnpaidOrder() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let customer = try await client.token(t.customer)
            let order = try await client.call(.post, "/api/orders", token: customer, body: t.placeRequest(token: "tok_chargeDeclined"))
                .decode(Order.self)
            let failed = try await t.settled(order.id)
            XCTAssertEqual(failed.status, .failed)
            let cancelled = try await client.call(.post, "/api/orders/\(order.id)/cancel", token: customer, json: #"{"reason":"changed my mind"}"#)
            XCTAssertEqual(try cancelled.decode(Order.self).status, .cancelled, cancelled.text)
            let history = try await client.call(.get, "/api/orders/\(order.id)/history", token: customer).decode([OrderHistoryEntry].self)
            XCTAssertEqual(history.last?.reason, "changed my mind")
        }
    }

    func testAnotherUsersOrderIsNotFound() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let customer = try await client.token(t.customer)
            let other = try await client.token(t.other)
            let order = try await client.call(.post, "/api/orders", token: customer, body: t.placeRequest()).decode(Order.self)
            try await client.call(.get, "/api/orders/\(order.id)", token: other).problem(404)
            try await client.call(.get, "/api/orders/\(order.id)/history", token: other).problem(404)
            try await client.call(.post, "/api/orders/\(order.id)/cancel", token: other).problem(404)
            let theirs = try await client.call(.get, "/api/orders", token: other).decode(Page<Order>.self)
            XCTAssertEqual(theirs.totalElements, 0)
        }
    }

    func testBadInputIsAProblemNeverA5xx() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let customer = try await client.token(t.customer)
            let item = #"{"productId":\#(t.keyboard.id),"quantity":1}"#
            let cases: [(String, Int, String)] = [
                (#"{"items":["#, 400, "not valid JSON"),
                ("", 400, "body is required"),
                ("[1,2]", 400, "object"),
                (#"{"items":[\#(item)],"paymentMethod":"CREDIT_CARD","paymentToken":"tok_visa"}"#, 400, "shippingAddress"),
                (#"{"items":[{"productId":"one","quantity":1}],"shippingAddress":"x","paymentMethod":"CREDIT_CARD","paymentToken":"tok_visa"}"#,
                 400, "items[0].productId"),
                (#"{"items":[\#(item)],"shippingAddress":"x","paymentMethod":"BITCOIN","paymentToken":"tok_visa"}"#, 400, "BITCOIN"),
                (#"{"items":[\#(item)],"shippingAddress":null,"paymentMethod":"PAYPAL","paymentToken":"tok_visa"}"#, 400, "shippingAddress"),
                (#"{"items":[{"productId":\#(t.keyboard.id),"quantity":1.5}],"shippingAddress":"x","paymentMethod":"PAYPAL","paymentToken":"tok_visa"}"#,
                 400, "items[0].quantity"),
                // One parser keeps the first value, another the last: neither is guessed.
                (#"{"items":[\#(item),{"productId":\#(t.keyboard.id),"quantity":1,"quantity":900}],"shippingAddress":"x","paymentMethod":"PAYPAL","paymentToken":"tok_visa"}"#,
                 400, "field 'items[1].quantity' appears twice"),
                (#"{"items":[\#(item)],"shippingAddress":"x","shipping\u0041ddress":"y","paymentMethod":"PAYPAL","paymentToken":"tok_visa"}"#,
                 400, "field 'shippingAddress' appears twice"),
            ]
            for (body, status, detail) in cases {
                let response = try await client.call(.post, "/api/orders", token: customer, json: body)
                try response.problem(status, containing: detail)
            }
            // A huge refused value is quoted, not echoed whole, wherever in the body it is.
            let huge = String(repeating: "X", count: 100_000)
            let digits = "1" + String(repeating: "0", count: 100_000)
            for body in [#"{"items":[\#(item)],"shippingAddress":"x","paymentMethod":"\#(huge)","paymentToken":"tok_visa"}"#,
                         #"{"items":[\#(item)],"shippingAddress":"x","paymentMethod":"PAYPAL","paymentToken":"tok_visa","\#(huge)":1,"\#(huge)":2}"#,
                         #"{"items":[{"productId":\#(t.keyboard.id),"quantity":\#(digits)}],"shippingAddress":"x"}"#] {
                let response = try await client.call(.post, "/api/orders", token: customer, json: body)
                let problem = try response.problem(400)
                XCTAssertLessThan(response.text.utf8.count, 2_000, String(problem.detail.prefix(300)))
            }
            let enumProblem = try await client.call(.post, "/api/orders", token: customer,
                json: #"{"items":[\#(item)],"shippingAddress":"x","paymentMethod":"BITCOIN","paymentToken":"tok_visa"}"#).problem(400)
            XCTAssertEqual(enumProblem.errors.map(\.field), ["paymentMethod"])
            XCTAssertTrue(enumProblem.detail.contains("CREDIT_CARD"), enumProblem.detail)

            try await client.call(.post, "/api/orders", token: customer, json: "{}", headers: [.contentType: "text/plain"]).problem(415)

            let unknown = PlaceOrderRequest(items: [.init(productId: 9999, quantity: 1)], shippingAddress: "x")
            let unknownProblem = try await client.call(.post, "/api/orders", token: customer, body: unknown).problem(422, containing: "9999")
            XCTAssertEqual(unknownProblem.errors.map(\.field), ["items[0].productId"])
            let retired = PlaceOrderRequest(items: [.init(productId: t.retired.id, quantity: 1)], shippingAddress: "x")
            try await client.call(.post, "/api/orders", token: customer, body: retired).problem(422, containing: "not available")

            let invalid = try await client.call(.post, "/api/orders", token: customer,
                json: #"{"items":[],"shippingAddress":"  ","paymentMethod":"PAYPAL","paymentToken":"visa"}"#).problem(422)
            XCTAssertEqual(Set(invalid.errors.map(\.field)), ["items", "shippingAddress", "paymentToken"])
            XCTAssertEqual(invalid.type, "urn:orderpay:problem:validation")

            try await client.call(.get, "/api/orders/abc", token: customer).problem(400, containing: "'id'")
            try await client.call(.get, "/api/orders/99999999999999999999", token: customer).problem(400)
            try await client.call(.get, "/api/orders/-4", token: customer).problem(400)
            try await client.call(.get, "/api/orders/%2B1", token: customer).problem(400)
            try await client.call(.get, "/api/orders/01", token: customer).problem(400)
            try await client.call(.get, "/api/orders/12345", token: customer).problem(404)
            try await client.call(.get, "/api/orders?size=lots", token: customer).problem(400, containing: "size")
            try await client.call(.post, "/api/orders/1/cancel", token: customer, json: #"{"reason":5}"#).problem(400, containing: "reason")
            try await client.call(.get, "/api/nothing-here", token: customer).problem(404, containing: "/api/nothing-here")
            try await client.call(.delete, "/api/orders", token: customer).problem(405, containing: "allowed: POST, GET")
        }
    }

    func testTraceparentReachesTheEvents() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let customer = try await client.token(t.customer)
            let traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
            let traceparent = "00-\(traceId)-00f067aa0ba902b7-01"
            let placed = try await client.call(.post, "/api/orders", token: customer, body: t.placeRequest(), headers: [.traceparent: traceparent])
            XCTAssertEqual(placed.headers[.traceparent], traceparent)
            let order = try placed.decode(Order.self)
            _ = try await t.settled(order.id)
            try await t.quiesce(events: 4)
            let events = try await t.system.events.read(topic: .orderCreated, from: 0, limit: 10)
            XCTAssertEqual(events.first { $0.payload.orderId == order.id }?.traceId, traceId)
            let outcome = try await t.system.events.read(topic: .paymentProcessed, from: 0, limit: 10)
            XCTAssertEqual(outcome.first { $0.payload.orderId == order.id }?.traceId, traceId)
        }
    }
}
