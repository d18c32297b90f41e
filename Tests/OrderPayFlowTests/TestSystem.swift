import Foundation
import Logging
import OrderPayCore
import OrderPayEmbedded
import OrderPayServices
import OrderPayTestSupport
import XCTest

/// A real embedded system on a fresh temporary data dir, with one admin, one customer and a catalog.
struct TestSystem {
    let system: EmbeddedSystem
    let directory: String
    /// The PostgreSQL database this system runs on (nil: SQLite files in `directory`).
    let database: String?
    let admin: Actor
    let customer: User
    let other: User
    let keyboard: Product
    let mouse: Product
    let retired: Product

    var customerActor: Actor { Actor(customer) }
    var otherActor: Actor { Actor(other) }

    static func configuration(_ directory: String, database: String?, workers: Bool = true) -> EmbeddedConfiguration {
        var configuration = EmbeddedConfiguration(dataDirectory: directory)
        configuration.database = database
        configuration.bcryptCost = 4
        configuration.startWorkers = workers
        configuration.jwtSecret = "test-secret-test-secret-test-secret-0123456789"
        return configuration
    }

    static func quietLogger() -> Logger {
        var logger = Logger(label: "test")
        logger.logLevel = ProcessInfo.processInfo.environment["ORDERPAY_TEST_LOG"] == "1" ? .info : .critical
        return logger
    }

    static func make(workers: Bool = true, directory: String? = nil) async throws -> TestSystem {
        let directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-test-\(UUID().uuidString)").path
        let database = try await TestEngine.freshDatabase()
        let system = try await EmbeddedSystem.start(configuration(directory, database: database, workers: workers), logger: quietLogger())
        let admin = Actor.system("test-admin")
        let customer = try await system.auth.signup(SignupRequest(email: "kim@example.com", password: "password-1", name: "김민준"))
        let other = try await system.auth.signup(SignupRequest(email: "lee@example.com", password: "password-2", name: "이서연"))
        let keyboard = try await system.orders.createProduct(actor: admin, sku: "KB", name: "Keyboard", unitPrice: Money("19.99")!)
        let mouse = try await system.orders.createProduct(actor: admin, sku: "MS", name: "Mouse", unitPrice: Money("0.10")!)
        let retired = try await system.orders.createProduct(actor: admin, sku: "OLD", name: "Old thing", unitPrice: Money("5.00")!, active: false)
        return TestSystem(system: system, directory: directory, database: database, admin: admin, customer: customer, other: other,
                          keyboard: keyboard, mouse: mouse, retired: retired)
    }

    /// This system's configuration again: for a second system on the same data (a restart).
    func configuration(workers: Bool = true) -> EmbeddedConfiguration {
        TestSystem.configuration(directory, database: database, workers: workers)
    }

    func order(token: String = "tok_visa", items: [PlaceOrderRequest.Item]? = nil) -> PlaceOrderRequest {
        PlaceOrderRequest(items: items ?? [.init(productId: keyboard.id, quantity: 3), .init(productId: mouse.id, quantity: 2)],
                          shippingAddress: "1 Test Street", paymentMethod: .creditCard, paymentToken: token)
    }

    /// Places an order as the customer and waits for its payment outcome.
    func placeAndSettle(token: String = "tok_visa") async throws -> Order {
        let order = try await system.orders.place(actor: customerActor, order(token: token))
        return try await system.waitForOrder(id: order.id, actor: admin)
    }

    func stop() async {
        await system.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

func XCTAssertThrowsAppError<T>(_ kind: AppError.Kind, _ expression: @autoclosure () async throws -> T,
                                 containing text: String? = nil, file: StaticString = #filePath, line: UInt = #line) async {
    do {
        _ = try await expression()
        XCTFail("expected a \(kind) error", file: file, line: line)
    } catch let error as AppError {
        XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
        if let text { XCTAssertTrue(error.description.contains(text), "'\(error)' should mention '\(text)'", file: file, line: line) }
    } catch {
        XCTFail("expected AppError, got \(error)", file: file, line: line)
    }
}

/// XCTAssertEqual for async expressions (XCTest's autoclosures cannot await).
func assertEqual<T: Equatable>(_ actual: @autoclosure () async throws -> T, _ expected: @autoclosure () throws -> T,
                               _ message: String = "", file: StaticString = #filePath, line: UInt = #line) async {
    do {
        let value = try await actual()
        XCTAssertEqual(value, try expected(), message, file: file, line: line)
    } catch {
        XCTFail("unexpected error: \(error)", file: file, line: line)
    }
}
