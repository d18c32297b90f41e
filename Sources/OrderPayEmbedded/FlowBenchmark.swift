import Foundation
import Logging
import OrderPayCore
import OrderPayPostgres
import OrderPayServices
import OrderPayStore

/// `orderpay bench flow`: orders placed with concurrency C through the whole flow (place →
/// payment → PAID) on a fresh temporary data dir (and, with a PostgreSQL server, a fresh database
/// on it), against raw single-row commits on the same engine measured in the same run.
public struct FlowBenchmark {
    public struct Latency: Codable, Sendable {
        public let p50Ms: Double, p99Ms: Double, maxMs: Double
        init(_ samples: [Duration]) {
            let ms = samples.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }.sorted()
            func pick(_ q: Double) -> Double { ms.isEmpty ? 0 : ms[min(ms.count - 1, Int((Double(ms.count) * q).rounded(.up)) - 1)] }
            p50Ms = pick(0.50); p99Ms = pick(0.99); maxMs = ms.last ?? 0
        }
        var text: String { String(format: "p50 %.2f ms  p99 %.2f ms  max %.2f ms", p50Ms, p99Ms, maxMs) }
    }

    public struct Report: Codable, Sendable {
        public let engine: String
        public let transport: String
        public let orders: Int
        public let concurrency: Int
        public let rawCommitsPerSecond: Double
        public let flowOrdersPerSecond: Double
        public let ratio: Double
        /// This process's CPU time per order in the peak run, and per raw commit (SQLite only: a
        /// PostgreSQL commit's work is in the server): steadier than rates on a shared machine.
        public let cpuMicrosPerOrder: Double
        public let rawCPUMicrosPerCommit: Double?
        public let peakLatency: Latency
        public let halfRateOrdersPerSecond: Double
        public let halfRateLatency: Latency
        /// With PostgreSQL or Kafka: the peak with one payment-service instance and then two.
        public let scaleOut: ScaleOut?

        public var text: String {
            var lines = [
                "raw \(engine) insert+commit (baseline): \(String(format: "%.0f", rawCommitsPerSecond)) commits/s",
                "flow (\(engine), \(transport)), \(orders) orders, concurrency \(concurrency): \(String(format: "%.0f", flowOrdersPerSecond)) orders/s (place → PAID)",
                "ratio flow / raw commits: \(String(format: "%.2f", ratio))  (target ≥ 0.25)",
                "CPU of this process per order: \(String(format: "%.0f", cpuMicrosPerOrder)) µs"
                    + (rawCPUMicrosPerCommit.map { String(format: "  (per raw commit: %.1f µs)", $0) } ?? ""),
                "latency place → PAID at peak:       \(peakLatency.text)",
                "latency at half the peak (\(String(format: "%.0f", halfRateOrdersPerSecond)) orders/s): \(halfRateLatency.text)  (target p99 < 20 ms)",
            ]
            if let scaleOut {
                lines.append("payment-service instances 1 → 2, processor answering at once: \(scaleOut.immediate.text)")
                lines.append("payment-service instances 1 → 2, processor \(scaleOut.providerLatencyMs) ms per charge, \(scaleOut.chargesInFlight) in flight per instance (concurrency \(concurrency * 4)): \(scaleOut.providerBound.text)")
            }
            return lines.joined(separator: "\n")
        }
    }

    /// One payment-service instance against two on the same storage and topics. With a processor
    /// that answers at once, the machine's CPU is the limit and a second instance on the same
    /// machine has none to add; with a provider round-trip and a bounded number of calls in flight
    /// per instance (its connection pool), the instance is the limit, and a second one adds its own.
    public struct ScaleOut: Codable, Sendable {
        public struct Pair: Codable, Sendable {
            public let one: Double, two: Double
            /// Charges each of the two instances made in the timed run.
            public let split: [Int]
            var text: String {
                String(format: "%.0f → %.0f orders/s (×%.2f), charges split ", one, two, two / one) + split.map(String.init).joined(separator: "/")
            }
        }
        public let immediate: Pair
        public let providerLatencyMs: Int
        public let chargesInFlight: Int
        public let providerBound: Pair
    }

    /// The provider-bound half of the scale-out comparison.
    public struct ProviderBound: Sendable {
        public var latencyMs: Int
        public var chargesInFlight: Int
        public init(latencyMs: Int = 20, chargesInFlight: Int = 4) { self.latencyMs = latencyMs; self.chargesInFlight = chargesInFlight }
    }

    let orders: Int
    let concurrency: Int
    let processor: SimulatedPaymentProcessor
    /// A PostgreSQL server (its user needs CREATEDB: each run gets a scratch database on it).
    let database: String?
    let kafka: String?
    let kafkaProperties: [String: String]
    let providerBound: ProviderBound

    public init(orders: Int, concurrency: Int, processor: SimulatedPaymentProcessor = SimulatedPaymentProcessor(),
                database: String? = nil, kafka: String? = nil, kafkaProperties: [String: String] = [:],
                providerBound: ProviderBound = ProviderBound()) {
        self.orders = orders; self.concurrency = concurrency; self.processor = processor
        self.database = database; self.kafka = kafka; self.kafkaProperties = kafkaProperties
        self.providerBound = providerBound
    }

    public func run(progress: (String) -> Void = { _ in }) async throws -> Report {
        var quiet = Logger(label: "orderpay.bench")
        quiet.logLevel = .warning
        let raw: Double
        var rawCPU: Double?
        if let database {
            progress("measuring raw PostgreSQL commits on a scratch database…")
            let scratch = try await PostgresDatabase.connect(
                try await PostgresDatabase.createScratchDatabase(adminURL: database, prefix: "orderpay_bench", logger: quiet), logger: quiet)
            defer { scratch.close() }
            raw = try await PostgresRawCommitProbe.commitsPerSecond(scratch)
        } else {
            let directory = try Self.scratchDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var settings = SQLiteDatabase.Settings()
            settings.synchronous = EmbeddedConfiguration(dataDirectory: directory).synchronous
            progress("measuring raw SQLite commits in \(directory)…")
            let probe = try await RawCommitProbe.measure(directory: directory, settings: settings)
            raw = probe.commitsPerSecond
            rawCPU = probe.cpuMicrosPerCommit
        }

        let peak = try await phase(paymentInstances: 1, halfRate: true, processor: processor, logger: quiet, progress: progress)
        var scaleOut: ScaleOut?
        if database != nil || kafka != nil {
            let immediateTwo = try await phase(paymentInstances: 2, halfRate: false, processor: processor, logger: quiet, progress: progress)
            let slow = SimulatedPaymentProcessor(latency: .milliseconds(providerBound.latencyMs), failureRate: processor.failureRate, seed: processor.seed)
            // Four times the orders in flight: each order now also waits on the provider, and with
            // too few in flight the closed loop, not the payment service, would set the rate.
            let boundOne = try await phase(paymentInstances: 1, halfRate: false, processor: slow, chargesInFlight: providerBound.chargesInFlight,
                                           concurrency: concurrency * 4, logger: quiet, progress: progress)
            let boundTwo = try await phase(paymentInstances: 2, halfRate: false, processor: slow, chargesInFlight: providerBound.chargesInFlight,
                                           concurrency: concurrency * 4, logger: quiet, progress: progress)
            scaleOut = ScaleOut(immediate: .init(one: peak.rate, two: immediateTwo.rate, split: immediateTwo.split),
                                providerLatencyMs: providerBound.latencyMs, chargesInFlight: providerBound.chargesInFlight,
                                providerBound: .init(one: boundOne.rate, two: boundTwo.rate, split: boundTwo.split))
        }
        return Report(engine: database == nil ? "SQLite" : "PostgreSQL", transport: kafka == nil ? "SQL event log" : "Kafka", orders: orders, concurrency: concurrency,
                      rawCommitsPerSecond: raw, flowOrdersPerSecond: peak.rate, ratio: peak.rate / raw,
                      cpuMicrosPerOrder: peak.cpuPerOrder * 1e6, rawCPUMicrosPerCommit: rawCPU,
                      peakLatency: Latency(peak.samples), halfRateOrdersPerSecond: peak.rate / 2,
                      halfRateLatency: Latency(peak.halfSamples), scaleOut: scaleOut)
    }

    static func scratchDirectory() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// One run on fresh storage: the peak rate with `paymentInstances` payment services sharing the
    /// work (the extra ones are separate systems on the same storage, as separate processes would be),
    /// then, if asked, latencies at half that rate.
    func phase(paymentInstances: Int, halfRate: Bool, processor: SimulatedPaymentProcessor, chargesInFlight: Int? = nil, concurrency: Int? = nil,
               logger: Logger, progress: (String) -> Void) async throws -> (rate: Double, samples: [Duration], halfSamples: [Duration], split: [Int], cpuPerOrder: Double) {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = EmbeddedConfiguration(dataDirectory: directory)
        configuration.bcryptCost = 4
        configuration.processor = processor
        if let chargesInFlight { configuration.chargeConcurrency = chargesInFlight }
        configuration.kafka = kafka
        configuration.kafkaProperties = kafkaProperties
        if let database {
            configuration.database = try await PostgresDatabase.createScratchDatabase(adminURL: database, prefix: "orderpay_bench", logger: logger)
        }
        let system = try await EmbeddedSystem.start(configuration, logger: logger)
        var extra: [EmbeddedSystem] = []
        for index in 1..<max(1, paymentInstances) {
            var more = configuration
            more.services = [.payments]
            more.instanceId = "bench-payments-\(index)"
            extra.append(try await EmbeddedSystem.start(more, logger: logger))
        }
        let admin = Actor.system("bench")
        let user = try await system.auth.createUser(actor: admin, CreateUserRequest(email: "bench@orderpay.dev", password: "bench-password", name: "Bench"))
        let product = try await system.orders.createProduct(actor: admin, sku: "BENCH-1", name: "Bench item", unitPrice: Money("19.99")!)
        let request = PlaceOrderRequest(items: [.init(productId: product.id, quantity: 2)], shippingAddress: "1 Bench Road")
        let watcher = CompletionWatcher(orders: system.orders)
        defer { watcher.stop() }
        let buyer = Actor(user)
        let orders = self.orders, concurrency = concurrency ?? self.concurrency

        let instances = [system] + extra
        if paymentInstances > 1 || kafka != nil {
            progress("warming up until every payment-service instance has charged an order…")
            try await warmUp(system: system, instances: instances, buyer: buyer, request: request, watcher: watcher)
        }
        progress("placing \(orders) orders with concurrency \(concurrency), \(paymentInstances) payment-service instance(s)…")
        let chargedBefore = instances.map(\.payments.chargesRecorded)
        let clock = ContinuousClock()
        let start = clock.now, cpuStart = ProcessCPU.seconds()
        let peakSamples = try await withThrowingTaskGroup(of: [Duration].self) { group in
            let perWorker = orders / concurrency, extra = orders % concurrency
            for worker in 0..<concurrency {
                let count = perWorker + (worker < extra ? 1 : 0)
                group.addTask {
                    var samples: [Duration] = []
                    for _ in 0..<count {
                        let began = clock.now
                        let order = try await system.orders.place(actor: buyer, request)
                        await watcher.completion(of: order.id)
                        samples.append(clock.now - began)
                    }
                    return samples
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let rate = Double(orders) / seconds(clock.now - start)
        let cpuPerOrder = (ProcessCPU.seconds() - cpuStart) / Double(orders)
        let split = zip(instances.map(\.payments.chargesRecorded), chargedBefore).map { $0 - $1 }

        var halfSamples: [Duration] = []
        if halfRate {
            let halfRate = rate / 2
            let halfCount = max(50, min(orders, Int(halfRate * 3)))
            progress("placing \(halfCount) orders at half the peak rate (\(Int(halfRate))/s)…")
            let interval = Duration.seconds(1 / halfRate)
            let halfStart = clock.now
            halfSamples = try await withThrowingTaskGroup(of: Duration.self) { group in
                for index in 0..<halfCount {
                    try await Task.sleep(until: halfStart + interval * index, clock: clock)
                    group.addTask {
                        let began = clock.now
                        let order = try await system.orders.place(actor: buyer, request)
                        await watcher.completion(of: order.id)
                        return clock.now - began
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        for other in extra { await other.stop() }
        await system.stop()
        return (rate, peakSamples, halfSamples, split, cpuPerOrder)
    }

    /// Orders in rounds until each payment-service instance has recorded a charge (bounded at
    /// 30 s): a Kafka group has then formed and assigned every member its partitions, so the timed
    /// run does not include a rebalance, and on the SQL event log every instance is reading.
    func warmUp(system: EmbeddedSystem, instances: [EmbeddedSystem], buyer: Actor, request: PlaceOrderRequest,
                watcher: CompletionWatcher) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        repeat {
            var placed: [Int64] = []
            for _ in 0..<16 { placed.append(try await system.orders.place(actor: buyer, request).id) }
            for orderId in placed { await watcher.completion(of: orderId) }
        } while instances.contains(where: { $0.payments.chargesRecorded == 0 }) && ContinuousClock.now < deadline
    }

    func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
}

/// Resumes whoever waits for an order to reach PAID or FAILED, the moment the order service
/// commits that status (its in-process feed): one observer for all orders, instead of every
/// waiter reading its order back. (The `order-status-updated` event of the change reaches the log
/// one commit later; a client outside the process sees the order PAID from the commit on.)
final class CompletionWatcher: @unchecked Sendable {
    private let feed: OrderStatusFeed
    private let lock = NSLock()
    private var token = 0
    private var done: Set<Int64> = []
    private var waiting: [Int64: CheckedContinuation<Void, Never>] = [:]

    init(orders: OrderService) {
        feed = orders.statusFeed
        token = feed.observe { [weak self] changed in self?.settled(changed) }
    }

    func stop() { feed.stopObserving(token) }

    func completion(of orderId: Int64) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let already: Bool = lock.withLock {
                if done.remove(orderId) != nil { return true }
                waiting[orderId] = continuation
                return false
            }
            if already { continuation.resume() }
        }
    }

    private func settled(_ orders: [Order]) {
        let ready: [CheckedContinuation<Void, Never>] = lock.withLock {
            orders.filter { $0.status == .paid || $0.status == .failed }.compactMap { order in
                if let continuation = waiting.removeValue(forKey: order.id) { return continuation }
                done.insert(order.id)
                return nil
            }
        }
        for continuation in ready { continuation.resume() }
    }
}
