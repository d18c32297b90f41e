import Foundation
import OrderPayCore
import OrderPayServices

public struct EmbeddedConfiguration: Sendable {
    /// Flag > ORDERPAY_DATA > ./.orderpay
    public static func defaultDataDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["ORDERPAY_DATA"].flatMap { $0.isEmpty ? nil : $0 } ?? ".orderpay"
    }

    public var dataDirectory: String
    /// A postgres:// URL: the services' tables live there (a schema per service) instead of in
    /// SQLite files. The data dir still holds the JWT secret, profile images and the audit log.
    public var database: String?
    /// Kafka bootstrap servers (host:port[,host:port]): events travel through Kafka instead of the
    /// SQL event log.
    public var kafka: String?
    /// Extra librdkafka properties for every Kafka client (security.protocol, sasl.*, ssl.*, or
    /// tuning such as fetch.wait.max.ms), set after OrderPay's own.
    public var kafkaProperties: [String: String] = [:]
    /// Relays, consumers and registry heartbeats; off for commands that only read.
    public var startWorkers: Bool = true
    /// ORDERPAY_PROCESSOR_LATENCY_MS, ORDERPAY_PROCESSOR_FAILURE_RATE (0–1) and
    /// ORDERPAY_PROCESSOR_SEED tune the simulated provider for demos and benchmarks.
    public var processor: any PaymentProcessor = EmbeddedConfiguration.processorFromEnvironment()
    /// Processor calls in flight per payment-service instance (ORDERPAY_CHARGE_CONCURRENCY, default 64).
    public var chargeConcurrency = ProcessInfo.processInfo.environment["ORDERPAY_CHARGE_CONCURRENCY"].flatMap(Int.init).map { max(1, $0) } ?? 64
    public var bcryptCost: UInt8 = 10
    /// How many password hashes may run or wait at once (nil: the process's shared gate).
    public var passwordGate: AdmissionGate?
    public var synchronous = "FULL"
    public var leaseDuration: TimeInterval = 90
    public var renewalInterval: TimeInterval = 30
    /// nil: ORDERPAY_JWT_SECRET, else a random secret kept in the data dir (shared by every process on it).
    public var jwtSecret: String?
    public var clock: any Clock = SystemClock()
    /// Which services this process runs (workers and registration); all of them when embedded.
    public var services: Set<ServiceKind> = Set(ServiceKind.allCases)
    /// Where registration goes; nil: the registry in the data dir.
    public var registrar: (any ServiceRegistrar)?
    /// Where the order and payment services check that the account an order or a payment retry
    /// charges is ACTIVE; nil: the auth store in this process (`orderpay serve orders|payments`
    /// asks the auth service instead).
    public var accounts: (any AccountDirectory)?
    /// Where a dead letter of a consumer group this process does not run is replayed; nil: such a
    /// replay is refused (503). `orderpay serve` hands it to an instance of the owning service.
    public var deadLetterHandover: (any DeadLetterHandover)?
    /// The address this process's services are reachable at, as registered.
    public var advertisedHost = "in-process"
    public var advertisedPort = 0
    public var instanceId: String?
    /// How long a payment-service instance killed mid-charge keeps its charges from the others
    /// (`PaymentService.claimLease`).
    public var paymentClaimLease: Duration = PaymentService.defaultClaimLease
    /// With Kafka: how long an outbox's relay waits for news before it looks anyway (`KafkaConfig.relayPoll`).
    public var kafkaRelayPoll: Duration = .seconds(1)
    /// With Kafka: how long a dead relay keeps the others out of its outbox (`KafkaConfig.relayLease`).
    public var kafkaRelayLease: Duration = .seconds(10)

    public init(dataDirectory: String) { self.dataDirectory = dataDirectory }

    public static func processorFromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> SimulatedPaymentProcessor {
        let latency = environment["ORDERPAY_PROCESSOR_LATENCY_MS"].flatMap(Int.init) ?? 0
        let rate = environment["ORDERPAY_PROCESSOR_FAILURE_RATE"].flatMap(Double.init) ?? 0
        let seed = environment["ORDERPAY_PROCESSOR_SEED"].flatMap(UInt64.init) ?? 42
        return SimulatedPaymentProcessor(latency: .milliseconds(max(0, latency)), failureRate: rate, seed: seed)
    }

    func path(_ file: String) -> String { (dataDirectory as NSString).appendingPathComponent(file) }

    /// The signing secret every process on a data dir shares: ORDERPAY_JWT_SECRET, else a random
    /// one generated once into the data dir (mode 0600).
    public func resolveJWTSecret() throws -> String {
        if let jwtSecret { return jwtSecret }
        if let fromEnvironment = ProcessInfo.processInfo.environment["ORDERPAY_JWT_SECRET"], !fromEnvironment.isEmpty { return fromEnvironment }
        let file = path("jwt-secret")
        if let existing = try? String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), existing.count >= 32 {
            return existing
        }
        // A secret that cannot be kept would be this process's alone: a gateway on a mistyped or
        // read-only --data refused every token the services issued, without a word.
        try DataDirectory.create(dataDirectory)
        var bytes = [UInt8](repeating: 0, count: 48)
        var generator = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: .min ... .max, using: &generator) }
        let secret = try DataDirectory.createOnce(file, contents: Data(bytes).base64EncodedString())
        guard secret.count >= 32 else { throw AppError(.unavailable, "\(file) holds no usable JWT secret (at least 32 characters)") }
        return secret
    }

    /// Whether this data dir has its JWT secret yet (no process on it has run).
    public var hasJWTSecret: Bool { FileManager.default.fileExists(atPath: path("jwt-secret")) }
}
