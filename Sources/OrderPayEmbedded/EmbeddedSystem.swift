import Foundation
import Logging
import OrderPayCore
import OrderPayServices
import OrderPayStore

/// Every OrderPay service in this process, on SQLite files in one data dir, with the outbox relays,
/// event consumers and registry heartbeats that connect them.
public final class EmbeddedSystem: @unchecked Sendable {
    public private(set) var configuration: EmbeddedConfiguration
    public let auth: AuthService
    public let orders: OrderService
    public let payments: PaymentService
    public let registry: RegistryService
    public let events: any EventLog
    /// host:port for a server; embedded-PID@host for an in-process embedding.
    public var instanceId: String {
        if let id = configuration.instanceId { return id }
        if configuration.advertisedPort > 0 { return "\(configuration.advertisedHost):\(configuration.advertisedPort)" }
        return "embedded-\(ProcessInfo.processInfo.processIdentifier)@\(ProcessInfo.processInfo.hostName)"
    }

    let orderChanges: Signal
    let closeStores: @Sendable () -> Void
    /// Relays and consumers: what `drain` watches.
    let workers: [any FlowWorker]
    /// Which handler consumes which topic for which group (dead-letter replay finds it here).
    let subscriptions: [Subscription]
    /// Dead letters being replayed in this process right now (a second request waits for none).
    let replaysInFlight = InFlightIDs()
    let logger: Logger
    let transport: any EventTransport
    private var tasks: [Task<Void, Never>] = []
    /// Renews this process's registry leases (and registers again after losing one).
    private var heartbeat: Task<Void, Never>?
    private var registered = false
    private var transportClosed = false
    let registrar: any ServiceRegistrar
    var apps: [String] { ServiceKind.allCases.filter(configuration.services.contains).map(\.appName) }

    init(_ configuration: EmbeddedConfiguration, stores: ServiceStores, transport: any EventTransport, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let clock = configuration.clock

        auth = AuthService(repository: stores.auth, tokens: TokenService(secret: try configuration.resolveJWTSecret(), clock: clock),
                           clock: clock, bcryptCost: configuration.bcryptCost, passwordGate: configuration.passwordGate)
        let accounts = configuration.accounts ?? LocalAccountDirectory(stores.auth)
        orders = OrderService(repository: stores.orders, accounts: accounts, clock: clock, logger: logger)
        payments = PaymentService(repository: stores.payments, processor: configuration.processor, accounts: accounts, clock: clock,
                                  chargeConcurrency: configuration.chargeConcurrency, claimLease: configuration.paymentClaimLease, logger: logger)
        registry = RegistryService(repository: stores.registry, clock: clock, leaseDuration: configuration.leaseDuration,
                                   renewalInterval: configuration.renewalInterval)
        events = transport.log
        self.transport = transport
        orderChanges = stores.orders.outboxSignal
        closeStores = stores.close
        registrar = configuration.registrar ?? LocalRegistrar(registry)

        let payments = self.payments, orders = self.orders
        var handlers: [Subscription] = []
        var relays: [any FlowWorker] = []
        if configuration.services.contains(.orders) {
            relays.append(transport.relay(from: stores.orders, logger: logger))
            handlers.append(Subscription(group: OrderService.consumerGroup, topic: .paymentProcessed) {
                try await orders.handlePaymentProcessed($0)
            })
        }
        if configuration.services.contains(.payments) {
            relays.append(transport.relay(from: stores.payments, logger: logger))
            handlers.append(Subscription(group: PaymentService.consumerGroup, topic: .orderCreated) {
                try await payments.handleOrderCreated($0)
            })
            handlers.append(Subscription(group: PaymentService.consumerGroup, topic: .orderStatusUpdated) {
                try await payments.handleOrderStatusUpdated($0)
            })
        }
        self.subscriptions = handlers
        let sweepers: [any FlowWorker] = configuration.services.contains(.payments) ? [ChargeSweeper(payments: payments, logger: logger)] : []
        self.workers = relays + handlers.map { transport.consumer(group: $0.group, topic: $0.topic, logger: logger, handler: $0.handler) }
            + sweepers
    }

    /// Opens the data dir and, unless configured not to, starts the workers.
    public static func start(_ configuration: EmbeddedConfiguration, logger: Logger = Logger(label: "orderpay")) async throws -> EmbeddedSystem {
        let directory = configuration.dataDirectory
        try DataDirectory.create(directory)
        let stores = try await ServiceStores.open(configuration, logger: logger)
        let transport = try EventTransports.make(configuration, stores: stores, logger: logger)
        let system = try EmbeddedSystem(configuration, stores: stores, transport: transport, logger: logger)
        if configuration.startWorkers { try await system.startWorkers() }
        return system
    }

    /// Starts relays, consumers and registration (for a server: once its port is known).
    public func startWorkers(advertisingPort port: Int? = nil) async throws {
        if let port { configuration.advertisedPort = port }
        try await startWorkers()
    }

    func startWorkers() async throws {
        if configuration.services.contains(.payments) {
            payments.identify(as: instanceId)
            try await payments.resumeInterruptedCharges(ownToo: true)
        }
        for worker in workers { tasks.append(Task { await worker.run() }) }
        try await register()
        registered = true
        let registrar = self.registrar, instanceId = self.instanceId, logger = self.logger, apps = self.apps
        let host = configuration.advertisedHost, port = configuration.advertisedPort
        heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(registrar.renewalInterval))
                if Task.isCancelled { break }
                for app in apps {
                    do { try await registrar.renew(app: app, instanceId: instanceId) } catch {
                        // Evicted (the registry restarted, or this process slept past its lease): register again.
                        do {
                            try await registrar.register(app: app, instanceId: instanceId, host: host, port: port)
                            logger.info("re-registered after lease loss", metadata: ["app": "\(app)"])
                        } catch {
                            logger.warning("registry unreachable; will retry", metadata: ["app": "\(app)", "error": "\(error)"])
                        }
                    }
                }
            }
        }
    }

    /// Gives up this process's registry leases (first stopping the renewals, which would register
    /// it again): gateways stop sending it requests once they refresh. Stopping does it too.
    public func deregister() async {
        heartbeat?.cancel()
        await heartbeat?.value
        heartbeat = nil
        guard registered else { return }
        registered = false
        for app in apps { try? await registrar.cancel(app: app, instanceId: instanceId) }
    }

    func register() async throws {
        for app in apps {
            try await registrar.register(app: app, instanceId: instanceId, host: configuration.advertisedHost, port: configuration.advertisedPort)
        }
    }

    /// True when every outbox is empty and every consumer has read to the end of its topic.
    public func isIdle() async throws -> Bool {
        for worker in workers where !(try await worker.isIdle()) { return false }
        return true
    }

    /// Waits until the flow has nothing left in flight, or the deadline passes. Idle must be seen
    /// twice in a row: a handler may commit new outbox events between two looks at the stages.
    @discardableResult
    public func drain(timeout: Duration = .seconds(5)) async -> Bool {
        guard !tasks.isEmpty else { return true }
        let deadline = ContinuousClock.now + timeout
        var idleLooks = 0
        while ContinuousClock.now < deadline {
            idleLooks = (try? await isIdle()) == true ? idleLooks + 1 : 0
            if idleLooks == 2 { return true }
            try? await Task.sleep(for: .milliseconds(idleLooks == 1 ? 2 : 5))
        }
        return false
    }

    /// Drains briefly (so a command that placed an order sees it through), then stops the workers
    /// and gives up this process's registry leases.
    public func stop(drainFor timeout: Duration = .seconds(3)) async {
        if !tasks.isEmpty {
            await drain(timeout: timeout)
            tasks.forEach { $0.cancel() }
            for task in tasks { await task.value }
            tasks.removeAll()
        }
        await deregister()
        // After the workers: a relay may still be flushing through the transport's producer.
        if !transportClosed {
            transportClosed = true
            await transport.close()
            closeStores()
        }
    }

    /// Waits until `done` holds for the order (the flow is asynchronous) or the timeout passes.
    /// Wakes on every order change this process commits; re-checks at least every 100 ms for
    /// changes made by another process on the same data dir.
    public func waitForOrder(id: Int64, actor: Actor, timeout: Duration = .seconds(10),
                             until done: (Order) -> Bool = { $0.status.isTerminalForPayment }) async throws -> Order {
        let deadline = ContinuousClock.now + timeout
        while true {
            let seen = orderChanges.current
            let order = try await orders.order(actor: actor, id: id)
            if done(order) { return order }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero {
                throw AppError(.unavailable, "order \(id) is still \(order.status.rawValue) after \(timeout)")
            }
            await orderChanges.wait(after: seen, timeout: min(remaining, .milliseconds(100)))
        }
    }
}

/// One consumer group's handler for one topic.
struct Subscription: Sendable {
    let group: String
    let topic: Topic
    let handler: EventHandler
}
