import Foundation
import OrderPayKafka
import Logging
import OrderPayCore
import OrderPayEmbedded
import OrderPayServices
import OrderPayTestSupport
import XCTest

/// Embedded systems whose events travel through a mock Kafka cluster, on one temporary data dir
/// (several instances may share it, each running some of the services).
struct KafkaTestSystems {
    let cluster: KafkaMockCluster
    let directory: String
    /// PostgreSQL on the PostgreSQL pass (ORDERPAY_TEST_ENGINE=postgres), else SQLite in `directory`.
    let database: String?
    let admin = Actor.system("test-admin")

    static func make() async throws -> KafkaTestSystems {
        try KafkaTestSystems(database: try await TestEngine.freshDatabase())
    }

    private init(database: String?) throws {
        cluster = try KafkaMockCluster()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-kafka-\(UUID().uuidString)").path
        self.database = database
    }

    func configuration(_ services: Set<ServiceKind>, latency: Duration = .zero) -> EmbeddedConfiguration {
        var configuration = EmbeddedConfiguration(dataDirectory: directory)
        configuration.bcryptCost = 4
        configuration.jwtSecret = "test-secret-test-secret-test-secret-0123456789"
        configuration.kafka = cluster.bootstraps
        configuration.kafkaProperties = KafkaMockCluster.clientProperties
        configuration.database = database
        configuration.services = services
        configuration.processor = SimulatedPaymentProcessor(latency: latency)
        configuration.instanceId = "test-\(UUID().uuidString)"
        return configuration
    }

    func start(_ services: Set<ServiceKind> = Set(ServiceKind.allCases), latency: Duration = .zero) async throws -> EmbeddedSystem {
        try await EmbeddedSystem.start(configuration(services, latency: latency), logger: Self.quietLogger())
    }

    static func quietLogger() -> Logger {
        var logger = Logger(label: "kafka-test")
        logger.logLevel = ProcessInfo.processInfo.environment["ORDERPAY_TEST_LOG"] == nil ? .critical : .debug
        return logger
    }

    /// A customer and a product on the system that runs the order and auth services.
    func customer(on system: EmbeddedSystem) async throws -> (Actor, Product) {
        let user = try await system.auth.signup(SignupRequest(email: "kim@example.com", password: "password-1", name: "김민준"))
        let product = try await system.orders.createProduct(actor: admin, sku: "KB", name: "Keyboard", unitPrice: Money("19.99")!)
        return (Actor(user), product)
    }

    func order(_ product: Product) -> PlaceOrderRequest {
        PlaceOrderRequest(items: [.init(productId: product.id, quantity: 2)], shippingAddress: "1 Test Street",
                          paymentMethod: .creditCard, paymentToken: "tok_visa")
    }

    /// Every payment of the data dir, all pages.
    func payments(on system: EmbeddedSystem) async throws -> [Payment] {
        var all: [Payment] = []
        var page = 0
        while true {
            let batch = try await system.payments.list(actor: admin, page: PageRequest(page: page, size: PageRequest.maxSize))
            all += batch.content
            if batch.content.count < PageRequest.maxSize { return all }
            page += 1
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
