import Foundation
import Logging
import OrderPayCore
import OrderPayPostgres
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
    /// Releases connections (PostgreSQL's pool); SQLite files close with their last reference.
    public var close: @Sendable () -> Void

    public init(auth: any AuthRepository, orders: any OrderRepository & OutboxSource, payments: any PaymentRepository & OutboxSource,
                registry: any RegistryRepository, events: any EventLog, close: @escaping @Sendable () -> Void = {}) {
        self.auth = auth; self.orders = orders; self.payments = payments; self.registry = registry; self.events = events
        self.close = close
    }

    /// The stores `configuration` asks for: PostgreSQL when it names a database, else SQLite files.
    public static func open(_ configuration: EmbeddedConfiguration, logger: Logger) async throws -> ServiceStores {
        if let url = configuration.database { return try await postgres(url, logger: logger) }
        return try sqlite(configuration)
    }

    /// A schema per service on one PostgreSQL database, migrated on open.
    public static func postgres(_ url: String, logger: Logger) async throws -> ServiceStores {
        let database = try await PostgresDatabase.connect(url, logger: logger)
        do {
            let events = try await PostgresEventLog.open(database)
            return ServiceStores(
                auth: try await PostgresAuthStore.open(database),
                orders: try await PostgresOrderStore.open(database),
                payments: try await PostgresPaymentStore.open(database),
                registry: try await PostgresRegistryStore.open(database),
                events: events,
                close: { events.close(); database.close() })
        } catch {
            database.close()
            throw error
        }
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
