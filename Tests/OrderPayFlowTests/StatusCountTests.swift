import OrderPayCore
import OrderPayServices
import XCTest

/// The per-status counts (kept by triggers) agree with the rows themselves through every kind of change.
final class StatusCountTests: XCTestCase {
    func testCountsFollowInsertsAndStatusChanges() async throws {
        let t = try await TestSystem.make()
        for token in ["tok_visa", "tok_visa", "tok_chargeDeclined", "tok_insufficientFunds"] {
            let order = try await t.system.orders.place(actor: t.customerActor, t.order(token: token))
            _ = try await t.system.waitForOrder(id: order.id, actor: t.admin)
        }
        let failed = try await t.system.orders.list(actor: t.admin, filter: OrderFilter(status: .failed)).content
        _ = try await t.system.orders.cancel(actor: t.admin, id: failed[0].id)
        await t.system.drain()

        let all = try await t.system.orders.list(actor: t.admin, page: PageRequest(page: 0, size: 200))
        var expected: [OrderStatus: Int] = [:]
        for order in all.content { expected[order.status, default: 0] += 1 }
        let counted = try await t.system.orders.countByStatus()
        XCTAssertEqual(counted, expected)
        XCTAssertEqual(counted, [.paid: 2, .failed: 1, .cancelled: 1])
        XCTAssertEqual(all.totalElements, 4)
        let failedPage = try await t.system.orders.list(actor: t.admin, filter: OrderFilter(status: .failed))
        XCTAssertEqual(failedPage.totalElements, 1)

        let payments = try await t.system.payments.list(actor: t.admin, page: PageRequest(page: 0, size: 200))
        var expectedPayments: [PaymentStatus: Int] = [:]
        for payment in payments.content { expectedPayments[payment.status, default: 0] += 1 }
        let countedPayments = try await t.system.payments.countByStatus()
        XCTAssertEqual(countedPayments, expectedPayments)
        await t.system.stop()
    }
}
