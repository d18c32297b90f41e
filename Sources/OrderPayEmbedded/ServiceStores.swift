import Foundation
import Logging
import OrderPayCore
import OrderPayServices
import OrderPayStore

/// The storage one OrderPay process runs on: a repository per service (each with its outbox) and
/// the SQL event log. Which engine holds them is configuration; the services see only protocols.
public struct ServiceStores: Sendable {
    public var auth: any AuthRepository
    public var orders: any OrderRepository & OutboxSource
    public var payments: any PaymentRepository & OutboxSource
    public var registry: any RegistryRepository
    public var events: any EventLog

    public init(auth: any AuthRepository, orders: any OrderRepository & OutboxSource, payments: any PaymentRepository & OutboxSource,
                registry: any RegistryRepository, events: any EventLog) {
        self.auth = auth; self.orders = orders; self.payments = payments; self.registry = registry; self.events = events
    }

    /// The stores `configuration` asks for: PostgreSQL when it names a database, else SQLite files.
    public static func open(_ configuration: EmbeddedConfiguration, logger: Logger) async throws -> ServiceStores {
        if configuration.database != nil {
            throw AppError(.unavailable, "PostgreSQL storage is not available in this build")
        }
        return try sqlite(configuration)
    }

    /// One SQLite file per service in the data dir.
    public static func sqlite(_ configuration: EmbeddedConfiguration) throws -> ServiceStores {
        var settings = SQLiteDatabase.Settings()
        settings.synchronous = configuration.synchronous
        return ServiceStores(
            auth: try SQLiteAuthStore(path: configuration.path("auth.sqlite"), settings: settings),
            orders: try SQLiteOrderStore(path: configuration.path("orders.sqlite"), settings: settings),
            payments: try SQLitePaymentStore(path: configuration.path("payments.sqlite"), settings: settings),
            registry: try SQLiteRegistryStore(path: configuration.path("registry.sqlite"), settings: settings),
            events: try SQLiteEventLog(path: configuration.path("events.sqlite"), settings: settings))
    }
}
