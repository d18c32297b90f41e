import Foundation
import Logging
import OrderPayCore
import OrderPayServices
import OrderPayStore

/// `orderpay bench flow`: orders placed with concurrency C through the whole flow (place →
/// payment → PAID) on a fresh temporary data dir, against raw SQLite commits measured in the same run.
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
        public let orders: Int
        public let concurrency: Int
        public let rawCommitsPerSecond: Double
        public let flowOrdersPerSecond: Double
        public let ratio: Double
        public let peakLatency: Latency
        public let halfRateOrdersPerSecond: Double
        public let halfRateLatency: Latency

        public var text: String {
            """
            raw SQLite insert+commit (baseline): \(String(format: "%.0f", rawCommitsPerSecond)) commits/s
            flow, \(orders) orders, concurrency \(concurrency): \(String(format: "%.0f", flowOrdersPerSecond)) orders/s (place → PAID)
            ratio flow / raw commits: \(String(format: "%.2f", ratio))  (target ≥ 0.25)
            latency place → PAID at peak:       \(peakLatency.text)
            latency at half the peak (\(String(format: "%.0f", halfRateOrdersPerSecond)) orders/s): \(halfRateLatency.text)  (target p99 < 20 ms)
            """
        }
    }

    let orders: Int
    let concurrency: Int
    let processor: SimulatedPaymentProcessor

    public init(orders: Int, concurrency: Int, processor: SimulatedPaymentProcessor = SimulatedPaymentProcessor()) {
        self.orders = orders; self.concurrency = concurrency; self.processor = processor
    }

    public func run(progress: (String) -> Void = { _ in }) async throws -> Report {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)

        var configuration = EmbeddedConfiguration(dataDirectory: directory)
        configuration.bcryptCost = 4
        configuration.processor = processor
        var settings = SQLiteDatabase.Settings()
        settings.synchronous = configuration.synchronous
        progress("measuring raw SQLite commits in \(directory)…")
        let raw = try await RawCommitProbe.commitsPerSecond(directory: directory, settings: settings)

        var quiet = Logger(label: "orderpay.bench")
        quiet.logLevel = .warning
        let system = try await EmbeddedSystem.start(configuration, logger: quiet)
        let admin = Actor.system("bench")
        let user = try await system.auth.createUser(actor: admin, CreateUserRequest(email: "bench@orderpay.dev", password: "bench-password", name: "Bench"))
        let product = try await system.orders.createProduct(actor: admin, sku: "BENCH-1", name: "Bench item", unitPrice: Money("19.99")!)
        let request = PlaceOrderRequest(items: [.init(productId: product.id, quantity: 2)], shippingAddress: "1 Bench Road")
        let watcher = CompletionWatcher(log: system.events)
        let watching = Task { await watcher.run() }
        defer { watching.cancel() }
        let buyer = Actor(user)

        progress("placing \(orders) orders with concurrency \(concurrency)…")
        let clock = ContinuousClock()
        let start = clock.now
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
        let elapsed = clock.now - start
        let rate = Double(orders) / seconds(elapsed)

        let halfRate = rate / 2
        let halfCount = max(50, min(orders, Int(halfRate * 3)))
        progress("placing \(halfCount) orders at half the peak rate (\(Int(halfRate))/s)…")
        let interval = Duration.seconds(1 / halfRate)
        let halfStart = clock.now
        let halfSamples = try await withThrowingTaskGroup(of: Duration.self) { group in
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
        await system.stop()
        return Report(orders: orders, concurrency: concurrency, rawCommitsPerSecond: raw, flowOrdersPerSecond: rate, ratio: rate / raw,
                      peakLatency: Latency(peakSamples), halfRateOrdersPerSecond: halfRate, halfRateLatency: Latency(halfSamples))
    }

    func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
}

/// Follows `order-status-updated` and resumes whoever waits for an order to reach PAID or FAILED:
/// one reader for all orders, instead of every waiter polling its own.
actor CompletionWatcher {
    let log: any EventLog
    private var done: Set<Int64> = []
    private var waiting: [Int64: CheckedContinuation<Void, Never>] = [:]

    init(log: any EventLog) { self.log = log }

    func completion(of orderId: Int64) async {
        if done.remove(orderId) != nil { return }
        await withCheckedContinuation { waiting[orderId] = $0 }
    }

    private func finished(_ orderId: Int64) {
        if let continuation = waiting.removeValue(forKey: orderId) { continuation.resume() } else { done.insert(orderId) }
    }

    func run() async {
        var cursor = (try? await log.latest(count: 1, topics: nil).last?.sequence) ?? 0
        while !Task.isCancelled {
            let seen = log.appended(to: .orderStatusUpdated).current
            guard let batch = try? await log.tail(after: cursor, topics: [.orderStatusUpdated], limit: 1000), !batch.isEmpty else {
                await log.appended(to: .orderStatusUpdated).wait(after: seen, timeout: .milliseconds(100))
                continue
            }
            cursor = batch[batch.count - 1].sequence
            for event in batch {
                if case .orderStatusUpdated(let update) = event.envelope.payload, update.to == .paid || update.to == .failed {
                    finished(update.orderId)
                }
            }
        }
    }
}
