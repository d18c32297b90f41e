import Foundation
import OrderPayConsole
import OrderPayCore
import XCTest

/// Deterministic data for the pure core: fixed times, names with wide characters, every status.
enum Fixtures {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static let users: [User] = [
        User(id: 1, email: "admin@orderpay.dev", name: "Admin", status: .active, roles: [.user, .admin], createdAt: now, updatedAt: now),
        User(id: 2, email: "minjun.kim@example.com", name: "김민준", address: "1 Gangnam-daero, Seoul", status: .active, createdAt: now, updatedAt: now),
        User(id: 3, email: "seoyeon.lee@example.com", name: "이서연", status: .locked, createdAt: now, updatedAt: now),
        User(id: 4, email: "alice@example.com", name: "Alice Martin", address: "2 Main St", status: .active, createdAt: now, updatedAt: now),
    ]

    static let products: [Product] = [
        Product(id: 1, sku: "KB-001", name: "Mechanical Keyboard", unitPrice: Money("89.90")!),
        Product(id: 2, sku: "MS-002", name: "Wireless Mouse", unitPrice: Money("24.99")!),
    ]

    static func order(_ id: Int64, _ status: OrderStatus, reason: String? = nil) -> Order {
        let item = OrderItem(productId: 1, sku: "KB-001", productName: "Mechanical Keyboard", quantity: 2, unitPrice: Money("89.90")!, subtotal: Money("179.80")!)
        return Order(id: id, orderNumber: "0190-\(id)", userId: 2, status: status, totalAmount: Money("179.80")!, shippingAddress: "Seoul",
                     paymentMethod: .creditCard, orderItems: [item], failureReason: reason, createdAt: now, updatedAt: now)
    }

    static func payment(_ id: Int64, _ status: PaymentStatus, reason: String? = nil) -> Payment {
        Payment(id: id, orderId: id, userId: 2, amount: Money("179.80")!, status: status, paymentMethod: .creditCard, attempts: 1,
                failureReason: reason, createdAt: now, updatedAt: now)
    }

    static let orders: [Order] = [
        order(6, .failed, reason: "card declined"), order(5, .paid), order(4, .pending), order(3, .created), order(2, .completed), order(1, .cancelled),
    ]
    static let payments: [Payment] = [
        payment(6, .failed, reason: "card declined"), payment(5, .success), payment(4, .processing), payment(2, .refunded),
    ]

    static func event(_ offset: Int64, _ payload: EventPayload) -> StreamedEvent {
        StreamedEvent(cursor: offset + 1, envelope: EventEnvelope(draft: EventDraft(eventId: "e\(offset)", occurredAt: now, payload: payload), offset: offset))
    }

    static let events: [StreamedEvent] = [
        event(0, .orderCreated(OrderCreated(orderId: 6, orderNumber: "0190-6", userId: 2, totalAmount: Money("179.80")!, paymentMethod: .creditCard, paymentToken: "tok_chargeDeclined"))),
        event(1, .orderStatusUpdated(OrderStatusUpdated(orderId: 6, userId: 2, from: .created, to: .pending, reason: "payment 6 attempt 1"))),
        event(2, .paymentProcessed(PaymentProcessed(orderId: 6, paymentId: 6, amount: Money("179.80")!, status: .failed, failureReason: "card declined", attempt: 1))),
        event(3, .orderStatusUpdated(OrderStatusUpdated(orderId: 6, userId: 2, from: .pending, to: .failed, reason: "card declined"))),
    ]

    static let registry: [ServiceInstance] = ["AUTH-SERVICE", "ORDER-SERVICE", "PAYMENT-SERVICE"].map {
        ServiceInstance(app: $0, instanceId: "127.0.0.1:8081", host: "127.0.0.1", port: 8081, status: .up,
                        registeredAt: now, lastRenewedAt: now.addingTimeInterval(-3), leaseExpiresAt: now.addingTimeInterval(87))
    }

    /// A console with everything loaded, as the runtime would have it after start-up.
    /// `n` on a fresh console, with the catalog and the customers loaded: the new-order form open.
    static func newOrderForm(width: Int = 120, height: Int = 40) -> ConsoleState {
        var state = Self.state(width: width, height: height)
        press(&state, .char("n"))
        _ = ConsoleUpdate.update(&state, .catalogLoaded(.success(products)))
        _ = ConsoleUpdate.update(&state, .pickerUsersLoaded(.success(users)))
        return state
    }

    static func state(width: Int = 160, height: Int = 45, ascii: Bool = false) -> ConsoleState {
        var state = ConsoleState(eventCapacity: 100)
        state.modeName = "embedded"; state.endpoint = ".orderpay"; state.operatorName = "cli:ops"
        state.asciiOnly = ascii
        _ = ConsoleUpdate.update(&state, .tick(now))
        _ = ConsoleUpdate.update(&state, .resize(width: width, height: height))
        _ = ConsoleUpdate.update(&state, .usersLoaded(.success(RowPage(rows: users, page: 0, total: users.count))))
        _ = ConsoleUpdate.update(&state, .ordersLoaded(.success(RowPage(rows: orders, page: 0, total: 60)), eventsSeen: state.events.endIndex))
        _ = ConsoleUpdate.update(&state, .paymentsLoaded(.success(RowPage(rows: payments, page: 0, total: payments.count)), eventsSeen: state.events.endIndex))
        _ = ConsoleUpdate.update(&state, .registryLoaded(.success(registry), at: now))
        _ = ConsoleUpdate.update(&state, .countsLoaded(.success([.paid: 30, .failed: 12, .pending: 1, .created: 1, .completed: 10, .cancelled: 6])))
        _ = ConsoleUpdate.update(&state, .events(events))
        return state
    }

    @discardableResult
    static func press(_ state: inout ConsoleState, _ keys: Key...) -> [Effect] {
        keys.flatMap { ConsoleUpdate.update(&state, .key($0)) }
    }

    static func type(_ state: inout ConsoleState, _ text: String) {
        for ch in text { _ = ConsoleUpdate.update(&state, .key(.char(ch))) }
    }
}

/// Compares a screen with Snapshots/NAME.txt; ORDERPAY_RECORD_SNAPSHOTS=1 writes it instead.
func assertSnapshot(_ screen: Screen, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
    let url = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().appendingPathComponent("Snapshots/\(name).txt")
    let text = screen.text + "\n"
    if ProcessInfo.processInfo.environment["ORDERPAY_RECORD_SNAPSHOTS"] == "1" {
        try? text.write(to: url, atomically: true, encoding: .utf8)
        return
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
        XCTFail("no snapshot \(url.path); record it with ORDERPAY_RECORD_SNAPSHOTS=1", file: file, line: line)
        return
    }
    if expected != text {
        XCTFail("screen differs from \(name).txt:\n\(text)", file: file, line: line)
    }
}
