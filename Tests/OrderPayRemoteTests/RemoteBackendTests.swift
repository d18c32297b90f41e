import Foundation
import OrderPayConsole
import OrderPayCore
@testable import OrderPayRemote
import XCTest

/// RemoteBackend against a real gateway and services on loopback.
final class RemoteBackendTests: XCTestCase {
    func testLoginAndWrongPassword() async throws {
        try await withLiveSystem { system in
            let backend = try await system.backend()
            XCTAssertEqual(backend.modeName, "remote")
            XCTAssertEqual(backend.endpoint, system.gatewayURL)
            XCTAssertEqual(backend.operatorName, LiveSystem.adminEmail)
            XCTAssertTrue(backend.operatorUser.isAdmin)
            do {
                _ = try await RemoteBackend(gatewayURL: system.gatewayURL, email: LiveSystem.adminEmail, password: "wrong-password")
                XCTFail("a wrong password logged in")
            } catch let error as AppError {
                XCTAssertEqual(error.kind, .unauthorized, error.description)
            }
        }
    }

    func testUnreachableGatewayIsUnavailableQuickly() async throws {
        let url = "http://127.0.0.1:\(closedPort())"
        let started = ContinuousClock.now
        do {
            _ = try await RemoteBackend(gatewayURL: url, email: LiveSystem.adminEmail, password: LiveSystem.adminPassword)
            XCTFail("logged in at a closed port")
        } catch let error as AppError {
            XCTAssertEqual(error.kind, .unavailable)
            XCTAssertTrue(error.message.hasPrefix("gateway unreachable at \(url): "), error.message)
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(3))
        do {
            _ = try await RemoteBackend(gatewayURL: "ftp://nowhere", email: "a", password: "b")
            XCTFail("accepted a non-http URL")
        } catch let error as AppError {
            XCTAssertEqual(error.kind, .validation)
        }
    }

    /// A customer signed in to the console places orders for themselves: the new-order form's
    /// picker holds their own account (listing every user is for admins), and an admin's every
    /// active one.
    func testACustomerOrdersForThemselvesAndAnAdminForAnyone() async throws {
        try await withLiveSystem { system in
            let customer = try await RemoteBackend(gatewayURL: system.gatewayURL, email: LiveSystem.customerEmail,
                                                   password: LiveSystem.customerPassword)
            let choices = try await customer.orderCustomers()
            XCTAssertEqual(choices.map(\.id), [system.customer.id])
            let order = try await customer.placeOrder(system.newOrder())
            XCTAssertEqual(order.userId, system.customer.id)

            let admin = try await system.backend()
            let everyone = try await admin.orderCustomers()
            XCTAssertEqual(Set(everyone.map(\.email)), [LiveSystem.adminEmail, LiveSystem.customerEmail])
        }
    }

    func testListsPagesAndCounts() async throws {
        try await withLiveSystem { system in
            let backend = try await system.backend()
            var placed: [Order] = []
            for token in ["tok_visa", "tok_visa", "tok_chargeDeclined"] { placed.append(try await backend.placeOrder(system.newOrder(token: token))) }
            XCTAssertTrue(placed.allSatisfy { $0.userId == system.customer.id }, "placed for the customer, not the operator")
            // Exact money through JSON: 3 × 19.99 + 2 × 0.10.
            XCTAssertEqual(placed[0].totalAmount, Money("60.17")!)
            for order in placed {
                _ = try await eventually("order \(order.id) settled") { try await backend.orderDetail(id: order.id).order.status.isTerminalForPayment ? true : nil }
            }

            let users = try await backend.users(ListQuery(page: 0, size: 1))
            XCTAssertEqual(users.total, 2)
            XCTAssertEqual(users.rows.count, 1)
            let found = try await backend.users(ListQuery(text: "kim@"))
            XCTAssertEqual(found.rows.map(\.email), [LiveSystem.customerEmail])

            let firstPage = try await backend.orders(ListQuery(page: 0, size: 2))
            let secondPage = try await backend.orders(ListQuery(page: 1, size: 2))
            XCTAssertEqual(firstPage.total, 3)
            XCTAssertEqual(firstPage.rows.count, 2)
            XCTAssertEqual(secondPage.rows.count, 1)
            XCTAssertEqual(Set((firstPage.rows + secondPage.rows).map(\.id)), Set(placed.map(\.id)))
            let value1 = try await backend.orders(ListQuery(status: "FAILED")).rows.map(\.id)
            XCTAssertEqual(value1, [placed[2].id])
            let value2 = try await backend.orders(ListQuery(text: LiveSystem.customerEmail)).total
            XCTAssertEqual(value2, 3)
            let value3 = try await backend.orders(ListQuery(text: LiveSystem.adminEmail)).total
            XCTAssertEqual(value3, 0)
            let value4 = try await backend.orders(ListQuery(text: "nobody@nowhere.test")).total
            XCTAssertEqual(value4, 0)

            let payments = try await backend.payments(ListQuery(size: 10))
            XCTAssertEqual(payments.total, 3)
            let value5 = try await backend.payments(ListQuery(status: "SUCCESS")).total
            XCTAssertEqual(value5, 2)

            let counts = try await backend.orderCounts()
            XCTAssertEqual(counts[.paid], 2)
            XCTAssertEqual(counts[.failed], 1)
            XCTAssertEqual(counts[.created], 0)
            XCTAssertEqual(counts.values.reduce(0, +), 3)

            let value6 = try await backend.products().map(\.sku).sorted()
            XCTAssertEqual(value6, ["KB", "MS"])
            let apps = Set(try await backend.registry().map(\.app))
            XCTAssertTrue(apps.isSuperset(of: ["AUTH-SERVICE", "ORDER-SERVICE", "PAYMENT-SERVICE"]), "\(apps)")
            let value7 = try await backend.deadLetters()
            XCTAssertEqual(value7, [])

            let detail = try await backend.userDetail(id: system.customer.id)
            XCTAssertEqual(detail.user.email, LiveSystem.customerEmail)
            XCTAssertEqual(Set(detail.recentOrders.map(\.id)), Set(placed.map(\.id)))
        }
    }

    func testPlacedOrderReachesPaid() async throws {
        try await withLiveSystem { system in
            let backend = try await system.backend()
            let order = try await backend.placeOrder(system.newOrder())
            XCTAssertEqual(order.status, .created)
            let detail = try await eventually("order PAID") { () -> OrderDetail? in
                let detail = try await backend.orderDetail(id: order.id)
                return detail.order.status == .paid ? detail : nil
            }
            XCTAssertEqual(detail.history.map(\.to), [.created, .pending, .paid])
            XCTAssertEqual(detail.payment?.status, .success)
            XCTAssertEqual(detail.payment?.amount, Money("60.17")!)
            XCTAssertEqual(detail.user?.id, system.customer.id)
            XCTAssertEqual(detail.paymentHistory.last?.to, .success)
            let payment = try await backend.paymentDetail(id: try XCTUnwrap(detail.payment?.id))
            XCTAssertEqual(payment.history, detail.paymentHistory)

            let completed = try await backend.completeOrder(id: order.id)
            XCTAssertEqual(completed.status, .completed)
            do {
                _ = try await backend.orderDetail(id: 999_999)
                XCTFail("a missing order was found")
            } catch let error as AppError {
                XCTAssertEqual(error.kind, .notFound)
            }
            do {
                _ = try await backend.cancelOrder(id: order.id)
                XCTFail("a completed order was cancelled")
            } catch let error as AppError {
                XCTAssertEqual(error.kind, .conflict, error.description)
            }
        }
    }

    func testDeclinedOrderRetriedWithVisaReachesPaidThenRefund() async throws {
        try await withLiveSystem { system in
            let backend = try await system.backend()
            let order = try await backend.placeOrder(system.newOrder(token: "tok_chargeDeclined"))
            let failed = try await eventually("order FAILED") { () -> OrderDetail? in
                let detail = try await backend.orderDetail(id: order.id)
                return detail.order.status == .failed ? detail : nil
            }
            let payment = try XCTUnwrap(failed.payment)
            XCTAssertEqual(payment.status, .failed)
            XCTAssertEqual(payment.failureReason, "card declined")

            let retried = try await backend.retryPayment(id: payment.id, token: "tok_visa")
            XCTAssertEqual(retried.status, .success)
            let paid = try await eventually("order PAID after retry") { () -> OrderDetail? in
                let detail = try await backend.orderDetail(id: order.id)
                return detail.order.status == .paid ? detail : nil
            }
            XCTAssertEqual(paid.history.map(\.to), [.created, .pending, .failed, .pending, .paid])

            let refunded = try await backend.refundPayment(id: payment.id, reason: "customer asked")
            XCTAssertEqual(refunded.status, .refunded)
            let cancelled = try await eventually("order CANCELLED by the refund") {
                try await backend.orderDetail(id: order.id).order.status == .cancelled ? true : nil
            }
            XCTAssertTrue(cancelled)
        }
    }

    func testValidationErrorCarriesFieldErrors() async throws {
        try await withLiveSystem { system in
            let backend = try await system.backend()
            do {
                _ = try await backend.placeOrder(system.newOrder(quantity: 0))
                XCTFail("quantity 0 was accepted")
            } catch let error as AppError {
                XCTAssertEqual(error.kind, .validation)
                XCTAssertEqual(error.fieldErrors.map(\.field), ["items[0].quantity"], error.description)
            }
            do {
                _ = try await backend.createUser(NewUser(email: "not-an-email", name: "", password: "x", admin: false))
                XCTFail("a bad user was created")
            } catch let error as AppError {
                XCTAssertEqual(error.kind, .validation)
                XCTAssertFalse(error.fieldErrors.isEmpty)
            }
            let created = try await backend.createUser(NewUser(email: "new@remote.test", name: "New Admin", password: "new-password-1", admin: true))
            XCTAssertTrue(created.isAdmin)
            let demoted = try await backend.setRoles(userId: created.id, roles: [.user])
            XCTAssertEqual(demoted.roles, [.user])
            let value8 = try await backend.setLocked(userId: created.id, locked: true).status
            XCTAssertEqual(value8, .locked)
            let value9 = try await backend.setLocked(userId: created.id, locked: false).status
            XCTAssertEqual(value9, .active)
        }
    }

    func testTokenRefreshAheadOfExpiryAndOn401() async throws {
        try await withLiveSystem { system in
            let clock = TestClock()
            var options = RemoteBackend.Options()
            options.clock = { clock.now() }
            let backend = try await system.backend(options: options)
            let session = backend.session
            let first = try XCTUnwrap(session.currentRefreshToken)
            XCTAssertEqual(session.refreshes, 0)

            // Ahead of expiry: 5 minutes minus less than the margin left.
            clock.advance(280)
            _ = try await backend.products()
            XCTAssertEqual(session.refreshes, 1)
            let second = try XCTUnwrap(session.currentRefreshToken)
            XCTAssertNotEqual(second, first)
            XCTAssertGreaterThan(try XCTUnwrap(session.accessTokenExpiry), clock.now().addingTimeInterval(250))

            // A refused token: refreshed once, however many calls meet the 401 at the same time.
            session.replaceAccessTokenForTesting("not-a-jwt")
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<5 { group.addTask { try await backend.products().count } }
                for try await count in group { XCTAssertEqual(count, 2) }
            }
            XCTAssertEqual(session.refreshes, 2)
            XCTAssertNotEqual(session.currentRefreshToken, second)
            // The rotated chain is intact: the kept refresh token still works.
            try await session.refreshed(after: nil)
            XCTAssertEqual(session.refreshes, 3)
            _ = try await backend.orderCounts()
        }
    }
}
