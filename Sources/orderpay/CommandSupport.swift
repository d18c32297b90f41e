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

    func validate() throws {
        for property in kafkaProperties where !property.contains("=") || property.hasPrefix("=") {
            throw ValidationError("--kafka-property '\(property)' is not name=value")
        }
    }

    var kafkaPropertyMap: [String: String] {
        Dictionary(kafkaProperties.map { property in
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

    /// The same choice, as flags for a child process (`orderpay up`).
    var childArguments: [String] {
        (databaseURL.map { ["--database", $0] } ?? []) + (kafkaBrokers.map { ["--kafka", $0] } ?? [])
            + kafkaProperties.flatMap { ["--kafka-property", $0] }
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
    guard let money = Money(text), money > .zero else { throw AppError.validation("'\(text)' is not a positive amount with at most two decimals", field: field) }
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
