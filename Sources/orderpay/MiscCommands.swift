import ArgumentParser
import OrderPayConsoleBench
import Foundation
import OrderPayCore
import OrderPayEmbedded
import OrderPayKafka
import OrderPayServices
import OrderPayServer
import Logging

struct ProductsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "products", abstract: "The product catalog.",
                                                    subcommands: [List.self, Create.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List products.")
        @OptionGroup var options: GlobalOptions
        @Flag(help: "Include inactive products.") var all = false

        func run() async throws {
            try await CLI.run(options, workers: false) { system in
                let products = try await system.orders.products(includeInactive: all)
                try CLI.emit(products, options) {
                    var table = TextTable("ID", "SKU", "NAME", "PRICE", "ACTIVE")
                    for p in products { table.add(String(p.id), p.sku, p.name, p.unitPrice.description, p.active ? "yes" : "no") }
                    return table.rendered
                }
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a product.")
        @OptionGroup var options: GlobalOptions
        @Option var sku: String
        @Option var name: String
        @Option(help: "Unit price, e.g. 19.99.") var price: String

        func run() async throws {
            try await CLI.run(options, workers: false, createsDataDirectory: true, validate: {
                try OrderService.validateProduct(sku: sku, name: name, unitPrice: try parseMoney(price, field: "price"))
            }) { system in
                let product = try await system.orders.createProduct(actor: cliOperator, sku: sku, name: name,
                                                                    unitPrice: try parseMoney(price, field: "price"))
                try CLI.emit(product, options) { "product \(product.id)  \(product.sku)  \(product.name)  \(product.unitPrice)" }
            }
        }
    }
}

struct RegistryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "registry", abstract: "Registered service instances.",
                                                    subcommands: [List.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List live instances with their lease.")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await CLI.run(options, workers: false) { system in
                let instances = try await system.registry.instances()
                let now = Date()
                try CLI.emit(instances, options) {
                    var table = TextTable("APP", "INSTANCE", "STATUS", "ADDRESS", "HEARTBEAT", "LEASE LEFT")
                    for i in instances {
                        let status = i.status.rawValue + (i.overriddenStatus == nil ? "" : " (override)")
                        table.add(i.app, i.instanceId, status, HostAddress.authority(i.host, port: i.port),
                                  "\(Int(now.timeIntervalSince(i.lastRenewedAt)))s ago", "\(Int(i.leaseExpiresAt.timeIntervalSince(now)))s")
                    }
                    return table.rendered
                }
            }
        }
    }
}

struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "seed", abstract: "Fill an empty data dir with demo data.")
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await CLI.run(options, createsDataDirectory: true) { system in
            let summary = try await DemoSeeder(system: system).seed()
            try CLI.emit(summary, options) { summary.text }
        }
    }
}

struct BenchCommand: AsyncParsableCommand {
    struct HTTP: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "http", abstract: "GET through the gateway vs direct vs nginx (wrk), and orders POSTed to PAID.")
        @Option(help: "wrk connections.") var connections = 64
        @Option(help: "Seconds per wrk run.") var seconds = 5
        @Option(help: "Rounds: each runs wrk against all three, starting with a different one (a multiple of 3 gives each target every place equally often).") var rounds = 3
        @Option(help: "Orders to POST through the gateway.") var orders = 300
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            guard connections > 0, seconds > 0, rounds > 0, orders > 0 else { CLI.fail("--connections, --seconds, --rounds and --orders must be positive") }
            var logger = Logger(label: "orderpay.bench")
            logger.logLevel = .warning
            let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            do {
                let report = try await HTTPBenchmark(executable: executable, connections: connections, seconds: seconds, rounds: rounds, orders: orders, logger: logger)
                    .run { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
                if json { try CLI.printJSON(report) } else { print(report.text) }
            } catch let error as AppError {
                CLI.fail(error.description, code: error.kind.exitCode)
            }
        }
    }

    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Benchmarks with a baseline measured in the same run.",
                                                    subcommands: [Flow.self, HTTP.self, Console.self])

    struct Console: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Dashboard frame time over 1k vs 1M orders, terminal bytes, idle CPU.")
        @Option(help: "Orders in the small data dir.") var small = 1_000
        @Option(help: "Orders in the large data dir.") var large = 1_000_000
        @Option(help: "Seconds of idle to measure CPU over.") var idleSeconds: Double = 10
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            guard small > 0, large > 0, idleSeconds > 0 else { CLI.fail("--small, --large and --idle-seconds must be positive") }
            do {
                let report = try await ConsoleBenchmark(smallOrders: small, largeOrders: large, idleSeconds: idleSeconds).run {
                    FileHandle.standardError.write(Data(($0 + "\n").utf8))
                }
                if json { try CLI.printJSON(report) } else { print(report.text) }
            } catch let error as AppError {
                CLI.fail(error.description, code: error.kind.exitCode)
            }
        }
    }

    struct Flow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Orders through the whole flow vs raw single-row commits on the same engine.")
        @Option(help: "Orders to place (default: 20000 on SQLite, where 2000 take a third of a second; 2000 with --database or --kafka).")
        var orders: Int?
        @Option(help: "Orders in flight at once (default: 256 on SQLite, enough that the services and not the closed loop set the rate; 64 with --database or --kafka).")
        var concurrency: Int?
        @Option(help: "Simulated processor latency per charge, in milliseconds.") var latencyMs = 0
        @Option(help: "Simulated processor random failure rate, 0–1 (seeded, reproducible).") var failureRate = 0.0
        @Option(help: "With --database or --kafka, the scale-out comparison's provider round-trip per charge, in milliseconds.") var scaleOutLatencyMs = 20
        @Option(help: "With --database or --kafka, the scale-out comparison's processor calls in flight per payment-service instance.") var scaleOutCharges = 4
        @Flag(help: "Print JSON.") var json = false
        @Flag(help: "Send the events through librdkafka's in-process mock cluster (3 brokers on loopback) instead of --kafka: no broker to install; it measures the client side and the partition sharing, not a broker's disk.")
        var kafkaMock = false
        @OptionGroup var engines: EngineOptions

        func run() async throws {
            let sqliteOnly = engines.databaseURL == nil && engines.kafkaBrokers == nil && !kafkaMock
            let orders = self.orders ?? (sqliteOnly ? 20_000 : 2000)
            let concurrency = self.concurrency ?? (sqliteOnly ? 256 : 64)
            guard orders > 0, concurrency > 0 else { CLI.fail("--orders and --concurrency must be positive") }
            guard latencyMs >= 0, (0...1).contains(failureRate) else { CLI.fail("--latency-ms must be ≥ 0 and --failure-rate within 0–1") }
            guard scaleOutLatencyMs > 0, scaleOutCharges > 0 else { CLI.fail("--scale-out-latency-ms and --scale-out-charges must be positive") }
            do {
                let processor = SimulatedPaymentProcessor(latency: .milliseconds(latencyMs), failureRate: failureRate)
                let mock = kafkaMock ? try KafkaMockCluster() : nil
                let report = try await FlowBenchmark(orders: orders, concurrency: concurrency, processor: processor,
                                                     database: engines.databaseURL, kafka: mock?.bootstraps ?? engines.kafkaBrokers,
                                                     kafkaProperties: engines.kafkaPropertyMap.merging(mock == nil ? [:] : KafkaMockCluster.clientProperties) { own, _ in own },
                                                     providerBound: .init(latencyMs: scaleOutLatencyMs, chargesInFlight: scaleOutCharges)).run {
                    FileHandle.standardError.write(Data(($0 + "\n").utf8))
                }
                if json { try CLI.printJSON(report) } else { print(report.text) }
            } catch let error as AppError {
                CLI.fail(error.description, code: error.kind.exitCode)
            }
        }
    }
}
