import Foundation
import OrderPayCore
import OrderPayPostgres
import OrderPayServices

/// Demo data: an admin, ~20 users (some with Korean names), ~15 products and ~200 orders that end
/// in every reachable status, including each kind of failed payment.
public struct DemoSeeder {
    public static let adminEmail = "admin@orderpay.dev"
    public static let adminPassword = "orderpay-admin"
    public static let userPassword = "orderpay-user"

    public struct Summary: Codable, Sendable {
        public let users: Int
        public let products: Int
        public let orders: Int
        public let ordersByStatus: [String: Int]
        public let paymentsByStatus: [String: Int]

        public var text: String {
            let orders = ordersByStatus.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let payments = paymentsByStatus.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return """
                seeded \(users) users, \(products) products, \(self.orders) orders
                orders:   \(orders)
                payments: \(payments)
                admin login: \(DemoSeeder.adminEmail) / \(DemoSeeder.adminPassword) (demo users: \(DemoSeeder.userPassword))
                """
        }
    }

    let system: EmbeddedSystem
    public init(system: EmbeddedSystem) { self.system = system }

    static let people: [(String, String)] = [
        ("김민준", "minjun.kim"), ("이서연", "seoyeon.lee"), ("박지호", "jiho.park"), ("최수아", "sua.choi"), ("정하준", "hajun.jung"),
        ("강지우", "jiwoo.kang"), ("Alice Martin", "alice"), ("Bob Nguyen", "bob"), ("Carla Rossi", "carla"), ("Dev Patel", "dev"),
        ("Emma Schmidt", "emma"), ("Farid Haddad", "farid"), ("Grace O'Neil", "grace"), ("Hiro Tanaka", "hiro"), ("Ines Duarte", "ines"),
        ("Jonas Berg", "jonas"), ("Kim Lee", "kim"), ("Lucía Gómez", "lucia"), ("Mateo Silva", "mateo"), ("Nora Ali", "nora"),
    ]

    static let catalog: [(String, String, String)] = [
        ("KB-001", "Mechanical Keyboard", "89.90"), ("MS-002", "Wireless Mouse", "24.99"), ("MN-003", "27\" Monitor", "279.00"),
        ("HD-004", "Noise-cancelling Headphones", "199.95"), ("CB-005", "USB-C Cable", "9.99"), ("DK-006", "Laptop Dock", "149.50"),
        ("WC-007", "HD Webcam", "59.00"), ("SS-008", "1TB SSD", "94.49"), ("LP-009", "Laptop Stand", "39.90"),
        ("MP-010", "Desk Mat", "19.99"), ("LT-011", "Desk Lamp", "45.00"), ("CH-012", "Office Chair", "329.00"),
        ("SP-013", "Bluetooth Speaker", "69.99"), ("PB-014", "Power Bank", "34.95"), ("TB-015", "Tablet Sleeve", "0.10"),
    ]

    public func seed() async throws -> Summary {
        // Checked before the first write: a seed that stopped halfway (on a product already there,
        // say) would leave a store that can be neither seeded nor used as a demo.
        let existing = [(try await system.auth.countUsers(), "users"),
                        (try await system.orders.products(includeInactive: true).count, "products"),
                        (try await system.orders.countByStatus().values.reduce(0, +), "orders")].filter { $0.0 > 0 }
        guard existing.isEmpty else {
            let place = system.configuration.database.map { "database \((try? PostgresLocation(url: $0).redacted) ?? "(given)")" }
                ?? "data dir \(system.configuration.dataDirectory)"
            let remedy = system.configuration.database == nil ? "use an empty --data dir" : "use an empty --database"
            let found = existing.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
            throw AppError.conflict("\(place) is not empty (\(found)); \(remedy)")
        }
        let operatorActor = Actor.system("seed")
        _ = try await system.auth.createUser(actor: operatorActor, CreateUserRequest(
            email: Self.adminEmail, password: Self.adminPassword, name: "OrderPay Admin", roles: [.admin, .user]))
        var users: [User] = []
        for (index, person) in Self.people.enumerated() {
            users.append(try await system.auth.createUser(actor: operatorActor, CreateUserRequest(
                email: "\(person.1)@example.com", password: Self.userPassword, name: person.0,
                phoneNumber: String(format: "010-%04d-%04d", 1000 + index * 37, 2000 + index * 91),
                address: "\(index + 1) Demo-ro, Seoul")))
        }
        var products: [Product] = []
        for item in Self.catalog {
            products.append(try await system.orders.createProduct(actor: operatorActor, sku: item.0, name: item.1,
                                                                  unitPrice: Money(item.2)!))
        }

        // Deterministic, so every seeded data dir looks the same.
        var random = SplitMix64(seed: 2026)
        let tokens = ["tok_visa", "tok_visa", "tok_visa", "tok_visa", "tok_mastercard", "tok_chargeDeclined",
                      "tok_insufficientFunds", "tok_processingError"]
        var placed: [Order] = []
        for _ in 0..<200 {
            let user = users[random.next(users.count)]
            let items = (0..<(1 + random.next(3))).map { _ in
                PlaceOrderRequest.Item(productId: products[random.next(products.count)].id, quantity: 1 + random.next(4))
            }
            let request = PlaceOrderRequest(items: items, shippingAddress: user.address ?? "Seoul",
                                            paymentMethod: PaymentMethod.allCases[random.next(4)], paymentToken: tokens[random.next(tokens.count)])
            placed.append(try await system.orders.place(actor: Actor(user), request))
        }
        await system.drain(timeout: .seconds(60))

        // Operators at work: complete some, refund some, retry some failures, cancel others.
        for (index, order) in placed.enumerated() {
            let current = try await system.orders.order(actor: operatorActor, id: order.id)
            let payment = try? await system.payments.payment(actor: operatorActor, orderId: order.id)
            switch (current.status, index % 10) {
            case (.paid, 0), (.paid, 1), (.paid, 2): _ = try await system.orders.complete(actor: operatorActor, id: order.id)
            case (.paid, 3):
                if let payment {
                    _ = try await system.payments.initiateRefund(actor: operatorActor, id: payment.id, reason: "customer changed their mind")
                    _ = try await system.payments.processRefund(actor: operatorActor, id: payment.id)
                }
            case (.paid, 4):
                if let payment { _ = try await system.payments.initiateRefund(actor: operatorActor, id: payment.id, reason: "item arrived damaged") }
            case (.failed, 0), (.failed, 1), (.failed, 2):
                if let payment { _ = try await system.payments.retry(actor: operatorActor, id: payment.id, paymentToken: "tok_visa") }
            case (.failed, 3), (.failed, 4): _ = try await system.orders.cancel(actor: operatorActor, id: order.id)
            default: break
            }
        }
        await system.drain(timeout: .seconds(60))
        let orders = try await system.orders.countByStatus()
        let payments = try await system.payments.countByStatus()
        return Summary(users: users.count + 1, products: products.count, orders: placed.count,
                       ordersByStatus: Dictionary(uniqueKeysWithValues: orders.map { ($0.key.rawValue, $0.value) }),
                       paymentsByStatus: Dictionary(uniqueKeysWithValues: payments.map { ($0.key.rawValue, $0.value) }))
    }
}

extension SplitMix64 {
    /// A number in 0..<upperBound, the same for the same seed on every run (the demo data's shape
    /// is fixed; `Int.random(in:using:)` makes no such promise across Swift versions).
    mutating func next(_ upperBound: Int) -> Int { Int(next() % UInt64(upperBound)) }
}
