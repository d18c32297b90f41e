import Foundation
import HummingbirdTesting
import OrderPayCore
import OrderPayHTTP
import OrderPayServices
import XCTest

final class PaymentRoutesTests: XCTestCase {
    func testReadAndListPayments() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let customer = try await client.token(t.customer)
            let order = try await client.call(.post, "/api/orders", token: customer, body: t.placeRequest()).decode(Order.self)
            _ = try await t.settled(order.id)

            let byOrder = try await client.call(.get, "/api/payments/order/\(order.id)", token: customer)
            let payment = try byOrder.decode(Payment.self)
            XCTAssertEqual(payment.status, .success)
            XCTAssertEqual(payment.amount, Money("60.17"))
            XCTAssertTrue(byOrder.text.contains(#""amount":60.17"#), byOrder.text)
            let byId = try await client.call(.get, "/api/payments/\(payment.id)", token: customer).decode(Payment.self)
            XCTAssertEqual(byId, payment)

            let list = try await client.call(.get, "/api/payments?status=SUCCESS&page=0&size=5", token: customer).decode(Page<Payment>.self)
            XCTAssertEqual(list.content.map(\.id), [payment.id])
            let none = try await client.call(.get, "/api/payments/status/FAILED", token: customer).decode(Page<Payment>.self)
            XCTAssertEqual(none.totalElements, 0)
            let success = try await client.call(.get, "/api/payments/status/success", token: customer).decode(Page<Payment>.self)
            XCTAssertEqual(success.totalElements, 1)
            try await client.call(.get, "/api/payments/status/LOST", token: customer).problem(400, containing: "REFUNDED")
            try await client.call(.get, "/api/payments?status=LOST", token: customer).problem(400)
            try await client.call(.get, "/api/payments/order/x", token: customer).problem(400, containing: "orderId")

            let other = try await client.token(t.other)
            try await client.call(.get, "/api/payments/\(payment.id)", token: other).problem(404)
            try await client.call(.get, "/api/payments/order/\(order.id)", token: other).problem(404)
            try await client.call(.post, "/api/payments/\(payment.id)/refund/initiate", token: other, body: RefundRequest(reason: "mine now"))
                .problem(404)
            let theirs = try await client.call(.get, "/api/payments", token: other).decode(Page<Payment>.self)
            XCTAssertEqual(theirs.totalElements, 0)
            // One user's payments: an admin may name anyone (the parameter was ignored, so an
            // admin got everyone's), others only themselves.
            try await client.call(.get, "/api/payments?userId=\(t.customer.id)", token: other).problem(403)
            let admin = try await client.token(t.admin)
            let customers = try await client.call(.get, "/api/payments?userId=\(t.customer.id)", token: admin).decode(Page<Payment>.self)
            XCTAssertEqual(customers.content.map(\.id), [payment.id])
            let others = try await client.call(.get, "/api/payments?userId=\(t.other.id)", token: admin).decode(Page<Payment>.self)
            XCTAssertEqual(others.totalElements, 0)
            try await client.call(.get, "/api/payments?userId=x", token: admin).problem(400, containing: "userId")
            // The same on the by-status route.
            let status = payment.status.rawValue
            try await client.call(.get, "/api/payments/status/\(status)?userId=\(t.customer.id)", token: other).problem(403)
            let byStatus = try await client.call(.get, "/api/payments/status/\(status)?userId=\(t.customer.id)", token: admin).decode(Page<Payment>.self)
            XCTAssertEqual(byStatus.content.map(\.id), [payment.id])
            let noneOfOthers = try await client.call(.get, "/api/payments/status/\(status)?userId=\(t.other.id)", token: admin).decode(Page<Payment>.self)
            XCTAssertEqual(noneOfOthers.totalElements, 0)
        }
    }

    func testRetryAFailedPaymentWithANewToken() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let customer = try await client.token(t.customer)
            let order = try await client.call(.post, "/api/orders", token: customer, body: t.placeRequest(token: "tok_chargeDeclined"))
                .decode(Order.self)
            _ = try await t.settled(order.id)
            let payment = try await client.call(.get, "/api/payments/order/\(order.id)", token: customer).decode(Payment.self)
            XCTAssertEqual(payment.status, .failed)

            try await client.call(.post, "/api/payments/\(payment.id)/retry", token: customer, json: #"{"paymentToken":"visa!"}"#)
                .problem(422, containing: "paymentToken")
            let retried = try await client.call(.post, "/api/payments/\(payment.id)/retry", token: customer,
                                                body: RetryPaymentRequest(paymentToken: "tok_visa"))
            XCTAssertEqual(retried.status, .ok, retried.text)
            let result = try retried.decode(Payment.self)
            XCTAssertEqual(result.status, .success)
            XCTAssertEqual(result.attempts, 2)
            let paid = try await t.settled(order.id) { $0.status == .paid }
            XCTAssertEqual(paid.paymentAttempt, 2)
            try await client.call(.post, "/api/payments/\(payment.id)/retry", token: customer).problem(409)
        }
    }

    func testRetryWithoutABodyAndCancel() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let customer = try await client.token(t.customer)
            let order = try await client.call(.post, "/api/orders", token: customer, body: t.placeRequest(token: "tok_insufficientFunds"))
                .decode(Order.self)
            _ = try await t.settled(order.id)
            let payment = try await client.call(.get, "/api/payments/order/\(order.id)", token: customer).decode(Payment.self)
            let retried = try await client.call(.post, "/api/payments/\(payment.id)/retry", token: customer)
            XCTAssertEqual(try retried.decode(Payment.self).status, .failed, retried.text)
            _ = try await t.settled(order.id) { $0.paymentAttempt == 2 }

            let cancelled = try await client.call(.post, "/api/payments/\(payment.id)/cancel", token: customer)
            XCTAssertEqual(try cancelled.decode(Payment.self).status, .cancelled, cancelled.text)
            try await client.call(.post, "/api/payments/\(payment.id)/cancel", token: customer).problem(409)
        }
    }

    func testRefundIsInitiatedByTheOwnerAndProcessedByAnAdmin() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let customer = try await client.token(t.customer)
            let admin = try await client.token(t.admin)
            let order = try await client.call(.post, "/api/orders", token: customer, body: t.placeRequest()).decode(Order.self)
            _ = try await t.settled(order.id)
            try await t.quiesce(events: 2, topic: .orderStatusUpdated)   // the payment service must have seen the order PAID
            let payment = try await client.call(.get, "/api/payments/order/\(order.id)", token: customer).decode(Payment.self)

            try await client.call(.post, "/api/payments/\(payment.id)/refund/initiate", token: customer, json: "{}").problem(400, containing: "reason")
            try await client.call(.post, "/api/payments/\(payment.id)/refund/initiate", token: customer, json: #"{"reason":" "}"#).problem(422)
            let initiated = try await client.call(.post, "/api/payments/\(payment.id)/refund/initiate", token: customer,
                                                  body: RefundRequest(reason: "arrived broken"))
            let pending = try initiated.decode(Payment.self)
            XCTAssertEqual(pending.status, .refundPending, initiated.text)
            XCTAssertEqual(pending.refundReason, "arrived broken")

            try await client.call(.post, "/api/payments/\(payment.id)/refund/process", token: customer).problem(403)
            let processed = try await client.call(.post, "/api/payments/\(payment.id)/refund/process", token: admin)
            XCTAssertEqual(try processed.decode(Payment.self).status, .refunded, processed.text)
            let cancelled = try await t.settled(order.id) { $0.status == .cancelled }
            XCTAssertEqual(cancelled.status, .cancelled)
        }
    }
}
