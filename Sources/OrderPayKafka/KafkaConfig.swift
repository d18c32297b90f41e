import CRdKafka
import Foundation
import OrderPayCore

/// The client settings every OrderPay Kafka handle starts from, and the one place that turns them
/// into a librdkafka configuration, so a bad property fails with its name and librdkafka's reason.
public struct KafkaConfig: Sendable {
    /// host:port[,host:port]
    public var bootstrapServers: String
    /// Extra librdkafka properties (later entries win), e.g. `security.protocol`.
    public var overrides: [String: String] = [:]
    /// How long start-up waits for a broker to answer before calling Kafka unavailable.
    public var connectTimeout: Duration = .seconds(3)
    /// Partitions of each topic when OrderPay creates it.
    public var partitions = KafkaConfig.defaultPartitions
    /// Six, so two or three instances of a service split a topic evenly.
    public static let defaultPartitions = 6
    public var replicationFactor = 1
    /// How long the relay holding an outbox's lease waits for news before it looks anyway: news of
    /// other instances' events comes as nudges, so this bounds only the delay of a lost one.
    public var relayPoll: Duration = .seconds(1)
    /// How long a relay that stopped renewing its outbox's lease (it died) keeps the others out.
    public var relayLease: Duration = .seconds(10)

    public init(bootstrapServers: String) { self.bootstrapServers = bootstrapServers }

    /// Builds an rd_kafka_conf_t; the caller hands it to rd_kafka_new (which takes ownership).
    func make(_ properties: [(String, String)]) throws -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else { throw AppError(.internal, "librdkafka could not allocate a configuration") }
        let all = [("bootstrap.servers", bootstrapServers),
                   // Reconnect within a second after a broker outage (default backs off to 10 s).
                   ("reconnect.backoff.max.ms", "1000")]
            + properties + overrides.sorted { $0.key < $1.key }
        for (name, value) in all {
            var reason = [CChar](repeating: 0, count: 512)
            if rd_kafka_conf_set(conf, name, value, &reason, reason.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw AppError.validation("Kafka property \(name)=\(value): \(Self.text(reason))", field: "kafka")
            }
        }
        return conf
    }

    /// Creates a client handle of `type` from `properties`; `opaque` comes back in callbacks.
    func client(_ type: rd_kafka_type_t, _ properties: [(String, String)], opaque: UnsafeMutableRawPointer? = nil,
                configure: (OpaquePointer) -> Void = { _ in }) throws -> OpaquePointer {
        let conf = try make(properties)
        if let opaque { rd_kafka_conf_set_opaque(conf, opaque) }
        KafkaLogging.install(on: conf)
        configure(conf)
        var reason = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(type, conf, &reason, reason.count) else {
            rd_kafka_conf_destroy(conf)
            throw AppError(.unavailable, "cannot create Kafka client for \(bootstrapServers): \(Self.text(reason))")
        }
        return handle
    }

    /// The bytes up to the NUL (String(cString:) on an array is deprecated).
    static func text(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    var connectTimeoutMilliseconds: Int32 {
        Int32(connectTimeout.components.seconds * 1000 + connectTimeout.components.attoseconds / 1_000_000_000_000_000)
    }
}

/// librdkafka's error codes as readable errors.
struct KafkaError: Error, CustomStringConvertible {
    let code: rd_kafka_resp_err_t
    let context: String

    init(_ code: rd_kafka_resp_err_t, _ context: String) { self.code = code; self.context = context }

    var description: String {
        let reason = rd_kafka_err2str(code).map { String(cString: $0) } ?? "error \(code.rawValue)"
        return "\(context): \(reason)"
    }
}

/// What leaves this module: a Kafka failure is the brokers out of reach for now (a 503 with
/// Retry-After over HTTP, a failure that costs a consumer no delivery attempt), never an error the
/// HTTP layer does not know (a 500 "an unexpected error occurred").
func translatingKafkaErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as KafkaError {
        throw AppError(.unavailable, "Kafka: \(error)", retryAfter: 1)
    }
}

/// Runs blocking librdkafka calls on a dispatch queue, never on the two-thread cooperative pool
/// (a poll or a synchronous commit there would stall every other task of the process).
struct BlockingQueue: Sendable {
    let queue: DispatchQueue

    init(label: String) { queue = DispatchQueue(label: label) }

    /// The closures touch librdkafka handles (OpaquePointer, not Sendable) that librdkafka itself
    /// makes thread-safe, hence the unchecked hand-over.
    func run<T>(_ body: @escaping () throws -> T) async throws -> T {
        nonisolated(unsafe) let body = body
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<UncheckedBox<T>, Error>) in
            queue.async { continuation.resume(with: Result { UncheckedBox(value: try body()) }) }
        }.value
    }
}

struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
}
