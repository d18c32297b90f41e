import ArgumentParser
import Foundation
import Logging
import OrderPayCore
import OrderPayEmbedded

struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Data directory (env ORDERPAY_DATA, default ./.orderpay).")
    var data: String?

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @OptionGroup var engines: EngineOptions

    var dataDirectory: String { data ?? EmbeddedConfiguration.defaultDataDirectory() }
}

/// Where the services keep their data and send their events; SQLite files and the SQL event log
/// in the data dir unless told otherwise.
struct EngineOptions: ParsableArguments {
    @Option(name: .long, help: "PostgreSQL URL, postgres://user:pass@host:5432/db (env ORDERPAY_DATABASE; default: SQLite files in the data dir).")
    var database: String?

    @Option(name: .long, help: "Kafka bootstrap servers, host:9092[,host2:9092] (env ORDERPAY_KAFKA; default: the SQL event log).")
    var kafka: String?

    @Option(name: .customLong("kafka-property"), help: ArgumentHelp("A librdkafka property for every Kafka client, name=value (repeatable): security.protocol, sasl.*, ssl.*…", valueName: "name=value"))
    var kafkaProperties: [String] = []

    /// Properties OrderPay sets itself: the brokers come from `--kafka`, and each consumer group
    /// names itself and commits its own offsets once an event is handled (auto-commit would mark
    /// events done before they are).
    static let reservedKafkaProperties: [String: String] = [
        "bootstrap.servers": "give the brokers with --kafka", "metadata.broker.list": "give the brokers with --kafka",
        "group.id": "each consumer group is named after its service",
        "enable.auto.commit": "consumers commit an offset once its event is handled",
        "enable.auto.offset.store": "consumers commit an offset once its event is handled",
    ]

    func validate() throws {
        for property in allKafkaProperties {
            guard property.contains("="), !property.hasPrefix("=") else { throw ValidationError("--kafka-property '\(property)' is not name=value") }
            let name = String(property.prefix { $0 != "=" }).trimmingCharacters(in: .whitespaces)
            if let why = Self.reservedKafkaProperties[name] { throw ValidationError("--kafka-property \(name) is OrderPay's to set: \(why)") }
        }
        if let kafka = kafka ?? ProcessInfo.processInfo.environment["ORDERPAY_KAFKA"].flatMap({ $0.isEmpty ? nil : $0 }) {
            try Self.validate(brokers: kafka)
        }
    }

    /// `host:port[,host:port…]`, as librdkafka takes them (a port may be left out for 9092, a
    /// protocol named first). A blank value was taken for no Kafka at all, so a process meant for
    /// a Kafka fleet wrote its events where no consumer of the fleet reads them.
    static func validate(brokers: String) throws {
        let list = brokers.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard list.contains(where: { !$0.isEmpty }) else {
            throw ValidationError("--kafka is empty: give the brokers as host:9092[,host2:9092], or leave it out for the SQL event log")
        }
        for broker in list {
            var address = Substring(broker)
            if let scheme = address.range(of: "://") {
                let name = address[..<scheme.lowerBound].uppercased()
                guard ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"].contains(name) else {
                    throw ValidationError("--kafka broker '\(broker.echoed)' is not host:port (a broker is not a \(name.lowercased()) URL)")
                }
                address = address[scheme.upperBound...]
            }
            let host: Substring, port: Substring?
            if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
                host = address[address.index(after: address.startIndex)..<close]
                let rest = address[address.index(after: close)...]
                port = rest.isEmpty ? nil : (rest.hasPrefix(":") ? rest.dropFirst() : "")
            } else {
                let parts = address.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                host = parts[0]
                port = parts.count > 1 ? parts[1] : nil
            }
            let hostOK = !host.isEmpty && host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._:".contains($0)) }
                && (address.hasPrefix("[") || !host.contains(":"))
            let portOK = port.map { !$0.isEmpty && $0.allSatisfy(\.isASCII) && Int($0).map { (1...65535).contains($0) } == true } ?? true
            guard !broker.isEmpty, hostOK, portOK else {
                throw ValidationError("--kafka broker '\(broker.echoed)' is not host:port (a port of 1–65535)")
            }
        }
    }

    /// The flags, or, when none are given, ORDERPAY_KAFKA_PROPERTIES (one name=value a line): how
    /// `orderpay up` hands them to its children without putting secrets on their command lines.
    var allKafkaProperties: [String] {
        guard kafkaProperties.isEmpty, let passed = ProcessInfo.processInfo.environment[Self.kafkaPropertiesVariable] else { return kafkaProperties }
        return passed.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }
    static let kafkaPropertiesVariable = "ORDERPAY_KAFKA_PROPERTIES"

    var kafkaPropertyMap: [String: String] {
        Dictionary(allKafkaProperties.map { property in
            let parts = property.split(separator: "=", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }, uniquingKeysWith: { _, last in last })
    }

    var databaseURL: String? { nonEmpty(database) ?? nonEmpty(ProcessInfo.processInfo.environment["ORDERPAY_DATABASE"]) }
    var kafkaBrokers: String? { nonEmpty(kafka) ?? nonEmpty(ProcessInfo.processInfo.environment["ORDERPAY_KAFKA"]) }

    func apply(to configuration: inout EmbeddedConfiguration) {
        configuration.database = databaseURL
        configuration.kafka = kafkaBrokers
        configuration.kafkaProperties = kafkaPropertyMap
    }

    /// The same choice for a child process (`orderpay up`): the brokers as a flag, the database
    /// URL and the Kafka properties in its environment, since a command line is anyone's to read
    /// (`ps`) and both may hold a password.
    var childArguments: [String] { kafkaBrokers.map { ["--kafka", $0] } ?? [] }
    var childEnvironment: [String: String] {
        var environment: [String: String] = [:]
        if let databaseURL { environment["ORDERPAY_DATABASE"] = databaseURL }
        if !allKafkaProperties.isEmpty { environment[Self.kafkaPropertiesVariable] = allKafkaProperties.joined(separator: "\n") }
        return environment
    }

    private func nonEmpty(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }
}

/// The operator behind the embedded CLI: it has the data dir, so it acts with admin rights,
/// recorded under the login name in histories.
let cliOperator = Actor(userId: nil, email: "cli:" + (ProcessInfo.processInfo.environment["USER"] ?? "operator"), roles: [.admin])

enum CLI {
    static func logger() -> Logger {
        var logger = Logger(label: "orderpay")
        logger.logLevel = Logger.Level(rawValue: ProcessInfo.processInfo.environment["ORDERPAY_LOG_LEVEL"] ?? "") ?? .warning
        return logger
    }

    /// Runs `body` against the embedded services, maps errors to a message on stderr and an exit
    /// code, and stops the workers (letting in-flight events finish) before returning.
    ///
    /// - Parameter createsDataDirectory: whether the command may start a new data dir (seed, the
    ///   console, creating a user or product). Any other command refuses a data dir that does not
    ///   exist (a mistyped `--data`) rather than create it and report it empty.
    /// - Parameter validate: checks of the command's input that need no data, run first: a
    ///   refused input neither starts a data dir nor opens one.
    static func run(_ options: GlobalOptions, workers: Bool = true, createsDataDirectory: Bool = false,
                    validate: () throws -> Void = {},
                    configure: (inout EmbeddedConfiguration) -> Void = { _ in },
                    _ body: (EmbeddedSystem) async throws -> Void) async throws {
        do {
            try validate()
        } catch let error as AppError {
            fail(error.description, code: error.kind.exitCode)
        }
        let directory = options.dataDirectory
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue {
            fail("--data \(directory) is a file, not a data directory", code: AppError.Kind.validation.exitCode)
        }
        if !exists && !createsDataDirectory && options.engines.databaseURL == nil {
            fail("no data directory at \(directory) (`orderpay seed --data \(directory)` creates one with demo data)",
                 code: AppError.Kind.notFound.exitCode)
        }
        var configuration = EmbeddedConfiguration(dataDirectory: options.dataDirectory)
        configuration.startWorkers = workers
        options.engines.apply(to: &configuration)
        configure(&configuration)
        do {
            let system = try await EmbeddedSystem.start(configuration, logger: logger())
            do {
                try await body(system)
            } catch {
                await system.stop()
                throw error
            }
            await system.stop()
        } catch let error as AppError {
            fail(error.description, code: error.kind.exitCode)
        } catch {
            // Storage refusing (a read-only data dir, a full disk): one line, like any unavailable
            // store, not GRDB's error with its SQL statement.
            guard let failure = EmbeddedSystem.storageFailure(error) else { throw error }
            fail(failure.description, code: failure.kind.exitCode)
        }
    }

    /// `orders place --wait`: the order was placed, but its payment failed.
    static let orderFailedExitCode: Int32 = 7

    static func fail(_ message: String, code: Int32 = 2) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        exit(code)
    }

    static func printJSON<T: Encodable>(_ value: T) throws {
        print(String(decoding: try JSONCoding.prettyEncoder.encode(value), as: UTF8.self))
    }

    /// Prints JSON with --json, else the text rendering.
    static func emit<T: Encodable>(_ value: T, _ options: GlobalOptions, text: () -> String) throws {
        if options.json { try printJSON(value) } else { print(text()) }
    }
}

func parseMoney(_ text: String, field: String) throws -> Money {
    guard let money = Money(text), money > .zero else {
        // Digits with at most two decimals that Money still refused: past its largest amount.
        let wellFormed = text.trimmingCharacters(in: .whitespaces).range(of: #"^[0-9]+(\.[0-9]{1,2})?$"#, options: .regularExpression) != nil
        throw AppError.validation(wellFormed ? "'\(text)' is too large (at most \(Money(minorUnits: .max)))"
                                             : "'\(text)' is not a positive amount with at most two decimals", field: field)
    }
    return money
}

func parseEnum<E: RawRepresentable & CaseIterable>(_ text: String, _ type: E.Type, field: String) throws -> E where E.RawValue == String {
    let normalized = text.uppercased().replacingOccurrences(of: "-", with: "_")
    guard let value = E(rawValue: normalized) else {
        let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
        throw AppError.validation("'\(text)' is not a valid \(field) (one of \(allowed))", field: field)
    }
    return value
}
