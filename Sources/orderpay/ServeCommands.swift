import ArgumentParser
import Foundation
import Logging
import OrderPayCore
import OrderPayEmbedded
import OrderPayGateway
import OrderPayServer
import OrderPayServices

enum ServedComponent: String, ExpressibleByArgument, CaseIterable {
    case auth, orders, payments, registry, gateway

    var defaultPort: Int {
        switch self {
        case .gateway: 8000
        case .registry: 8761
        case .auth: 8081
        case .orders: 8082
        case .payments: 8083
        }
    }
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run one service as an HTTP server.")

    @Argument(help: "auth, orders, payments, registry or gateway.") var component: ServedComponent
    @Option(help: "Port (default: gateway 8000, registry 8761, auth 8081, orders 8082, payments 8083; 0 picks a free one).") var port: Int?
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Data directory (env ORDERPAY_DATA, default ./.orderpay).") var data: String?
    @Option(help: "Registry URL (env ORDERPAY_REGISTRY).") var registry: String?
    @Option(help: "Registry lease length in seconds (registry only).") var leaseSeconds: Double = 90
    @Option(help: "Seconds between lease renewals.") var renewSeconds: Double = 30
    @Option(help: "Gateway: requests per second allowed per client (0 turns limiting off).") var rateLimit: Double = 200
    @Option(help: "Gateway: burst size per client.") var burst: Double = 400
    @Option(help: "Seconds a client connection may stay idle, or take to send a request's head (or a piece of its body), before it is closed (at least 10).") var idleTimeout: Int = 60
    @Option(help: "Services: seconds a stopping service keeps serving after leaving the registry, so gateways stop routing to it first (0–60).") var drainSeconds: Double = 3
    @Option(help: "Log lines as text or json (env ORDERPAY_LOG_FORMAT; default: json unless standard error is a terminal).") var logFormat: String?
    @OptionGroup var engines: EngineOptions

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be 0–65535") }
        _ = try Self.resolveLogFormat(logFormat)
        try Self.validate(idleTimeout: idleTimeout)
        try Self.validate(leaseSeconds: leaseSeconds, renewSeconds: renewSeconds, rateLimit: rateLimit, burst: burst)
        guard drainSeconds.isFinite, (0...60).contains(drainSeconds) else { throw ValidationError("--drain-seconds must be 0–60") }
        if let registry = registry ?? ProcessInfo.processInfo.environment["ORDERPAY_REGISTRY"] { try Self.validate(registryURL: registry) }
    }

    /// An http(s) URL with a host: anything else was reported as a registry that is unreachable.
    /// Credentials in it must parse (and are never echoed).
    static func validate(registryURL: String) throws {
        let bare: String
        do {
            bare = try RegistryCredentials.split(url: registryURL).url
        } catch let error as AppError {
            throw ValidationError("--registry: \(error.message)")
        }
        guard let url = URLComponents(string: bare), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty else {
            throw ValidationError("--registry must be an http(s) URL such as http://127.0.0.1:8761, not '\(RegistryCredentials.redacted(registryURL))'")
        }
    }

    /// Finite, in range, and a renewal inside the lease (a huge or infinite value used to pass
    /// here and crash the registry converting it).
    static func validate(leaseSeconds: Double, renewSeconds: Double, rateLimit: Double, burst: Double) throws {
        guard leaseSeconds.isFinite, renewSeconds.isFinite, (0.1...86_400).contains(leaseSeconds), (0.1...86_400).contains(renewSeconds) else {
            throw ValidationError("--lease-seconds and --renew-seconds must be 0.1–86400 seconds")
        }
        guard renewSeconds < leaseSeconds else { throw ValidationError("--renew-seconds must be shorter than --lease-seconds") }
        guard rateLimit.isFinite, burst.isFinite, rateLimit >= 0, burst >= 0, rateLimit <= 1e9, burst <= 1e9 else {
            throw ValidationError("--rate-limit and --burst must be 0–1000000000")
        }
    }

    static func resolveLogFormat(_ flag: String?) throws -> LogFormat {
        do { return try LogFormat.resolve(flag: flag) } catch { throw ValidationError("\(error)") }
    }

    /// Not under 10 s: the gateway reuses a connection to a service only within 5 s of its last
    /// response, so a service never closes one the gateway is about to send a request on.
    static func validate(idleTimeout: Int) throws {
        guard (10...86_400).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be 10–86400 seconds") }
    }

    var dataDirectory: String { data ?? EmbeddedConfiguration.defaultDataDirectory() }
    var registryURL: String { registry ?? ProcessInfo.processInfo.environment["ORDERPAY_REGISTRY"] ?? "http://127.0.0.1:8761" }

    func run() async throws {
        // `up` (TerminationSignal) ignores SIGINT and SIGTERM, and a spawned child inherits that:
        // until this server waits for them itself, a stop would be ignored and end in SIGKILL.
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        if component == .gateway { Gateway.runConcurrencyOnEventLoops() } else { ServiceHost.runConcurrencyOnEventLoops() }
        let format = try Self.resolveLogFormat(logFormat)
        // The gateway's access lines leave in one write per event-loop pass (cheaper per request).
        LoggingSystem.bootstrap { [component] in LineLogHandler(label: $0, format: format, batchesOnEventLoops: component == .gateway) }
        var logger = Logger(label: "orderpay.\(component.rawValue)")
        logger.logLevel = Logger.Level(rawValue: ProcessInfo.processInfo.environment["ORDERPAY_LOG_LEVEL"] ?? "") ?? .info
        SupervisorWatch.start(logger: logger, lingering: component == .registry ? .seconds(3) : .zero)
        let port = self.port ?? component.defaultPort
        do {
            // Read by every process (the registry requires them, the others send them): a
            // malformed value stops each with the same message rather than leaving one open.
            let registryCredentials = try RegistryCredentials.fromEnvironment()
            let stop: () async -> Void
            let url: String
            switch component {
            case .registry:
                var options = RegistryHost.Options(dataDirectory: dataDirectory)
                options.database = engines.databaseURL
                options.host = host; options.port = port
                options.leaseDuration = leaseSeconds; options.renewalInterval = renewSeconds
                options.idleTimeout = .seconds(idleTimeout)
                options.credentials = registryCredentials
                let (server, eviction) = try await RegistryHost.start(options, logger: logger)
                url = server.baseURL
                stop = { eviction.cancel(); await server.stop() }
            case .gateway:
                let configuration = EmbeddedConfiguration(dataDirectory: dataDirectory)
                let fresh = !configuration.hasJWTSecret && (ProcessInfo.processInfo.environment["ORDERPAY_JWT_SECRET"] ?? "").isEmpty
                var options = GatewayHost.Options(jwtSecret: try configuration.resolveJWTSecret())
                if fresh {
                    logger.warning("\(dataDirectory) had no JWT secret yet (one is generated now); the services must run on this data dir (or share ORDERPAY_JWT_SECRET), else the gateway refuses their tokens")
                }
                options.host = host; options.port = port; options.registryURL = registryURL
                options.settings.rateLimit = rateLimit; options.settings.rateBurst = burst
                options.settings.clientTimeout = .seconds(Int64(idleTimeout))
                let gateway = try await GatewayHost.start(options, logger: logger)
                url = gateway.baseURL
                stop = { await gateway.stop() }
            case .auth, .orders, .payments:
                var options = ServiceHost.Options(service: ServiceKind(rawValue: component.rawValue)!, dataDirectory: dataDirectory)
                options.host = host; options.port = port; options.registryURL = registryURL
                options.renewalInterval = renewSeconds; options.idleTimeout = .seconds(idleTimeout)
                options.drainDelay = .milliseconds(Int64(drainSeconds * 1000))
                options.database = engines.databaseURL; options.kafka = engines.kafkaBrokers
                options.kafkaProperties = engines.kafkaPropertyMap
                let service = try await ServiceHost.start(options, logger: logger)
                url = service.server.baseURL
                stop = { await service.stop() }
            }
            logger.notice("\(component.rawValue) listening on \(url)")
            let signal = await TerminationSignal.wait()
            logger.notice("signal \(signal): shutting down \(component.rawValue)")
            await stop()
        } catch let error as AppError {
            Self.fail(error, format: format, logger: logger)
        }
    }

    /// The one line a server that cannot start (or go on) ends with: `error: …` as any command's,
    /// or, when its log is JSON, a critical log line, so a collector reading it gets the one
    /// line it most needs as JSON too.
    static func fail(_ error: AppError, format: LogFormat, logger: Logger) -> Never {
        guard format == .json else { CLI.fail(error.description, code: error.kind.exitCode) }
        logger.critical("\(error.description)")
        Foundation.exit(error.kind.exitCode)
    }
}

struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "up", abstract: "Run registry, auth, orders, payments and gateway as supervised processes.")

    @Option(help: "Data directory (env ORDERPAY_DATA, default ./.orderpay).") var data: String?
    @Option(help: "Address every service listens on.") var host = "127.0.0.1"
    @Flag(help: "Use free random ports instead of the seed's (8000, 8761, 8081–8083).") var randomPorts = false
    @Option(name: .customLong("port"), help: "One component's port, as COMPONENT=PORT (e.g. gateway=9000); repeatable.")
    var portChoices: [String] = []
    @Option(help: "Seconds between registry lease renewals.") var renewSeconds: Double = 30
    @Option(help: "Registry lease length in seconds.") var leaseSeconds: Double = 90
    @Option(help: "Gateway: requests per second allowed per client (0 turns limiting off).") var rateLimit: Double = 200
    @Option(help: "Gateway: burst size per client.") var burst: Double = 400
    @Option(help: "Seconds a client connection may stay idle, or take to send a request's head (or a piece of its body), before it is closed (at least 10).") var idleTimeout: Int = 60
    @Option(help: "Restart a child that has answered nothing on /health for this many seconds, a hung process (10–86400; 0: only restart children that exit).")
    var unresponsiveSeconds: Int = 30
    @Option(help: "Log lines of every process as text or json (env ORDERPAY_LOG_FORMAT; default: json unless standard error is a terminal).") var logFormat: String?
    @OptionGroup var engines: EngineOptions

    var liveness: Supervisor.Liveness? {
        unresponsiveSeconds > 0 ? Supervisor.Liveness(timeout: .seconds(unresponsiveSeconds)) : nil
    }

    func validate() throws {
        try ServeCommand.validate(idleTimeout: idleTimeout)
        // Under 10 s, a look (which waits 10 s for an answer) could not tell slow from hung.
        guard unresponsiveSeconds == 0 || (10...86_400).contains(unresponsiveSeconds) else {
            throw ValidationError("--unresponsive-seconds must be 0 (never) or 10–86400")
        }
        _ = try ServeCommand.resolveLogFormat(logFormat)
        try ServeCommand.validate(leaseSeconds: leaseSeconds, renewSeconds: renewSeconds, rateLimit: rateLimit, burst: burst)
        let chosen = try chosenPorts()
        let withDefaults = ServedComponent.allCases.map { chosen[$0] ?? $0.defaultPort }
        if !randomPorts, Set(withDefaults).count != withDefaults.count {
            throw ValidationError("--port gives a component another's default port; choose that one's too (or --random-ports)")
        }
    }

    /// `--port gateway=9000 --port registry=9761`: at most one each, 1–65535, no two alike.
    func chosenPorts() throws -> [ServedComponent: Int] {
        var chosen: [ServedComponent: Int] = [:]
        for choice in portChoices {
            let parts = choice.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let component = ServedComponent(rawValue: parts[0].lowercased()),
                  let port = Int(parts[1]), (1...65535).contains(port) else {
                throw ValidationError("--port takes COMPONENT=PORT with a component of \(ServedComponent.allCases.map(\.rawValue).joined(separator: ", ")) and a port of 1–65535, not '\(choice)'")
            }
            guard chosen.updateValue(port, forKey: component) == nil else { throw ValidationError("--port names \(component.rawValue) twice") }
        }
        guard Set(chosen.values).count == chosen.count else { throw ValidationError("--port gives two components the same port") }
        return chosen
    }

    func run() async throws {
        let format = try ServeCommand.resolveLogFormat(logFormat)
        LoggingSystem.bootstrap { LineLogHandler(label: $0, format: format) }
        var logger = Logger(label: "orderpay.up")
        logger.logLevel = .info
        let dataDirectory = data ?? EmbeddedConfiguration.defaultDataDirectory()
        let chosen = try chosenPorts()
        let free = randomPorts ? FreePort.find(count: ServedComponent.allCases.count).filter { !chosen.values.contains($0) } : []
        var ports = chosen, spare = free.makeIterator()
        for component in ServedComponent.allCases where ports[component] == nil {
            // Five probed, less any chosen: enough for those not chosen.
            ports[component] = randomPorts ? spare.next()! : component.defaultPort
        }
        let registryURL = HostAddress.httpURL(host, port: ports[.registry]!)
        let lock: UpLock
        do {
            lock = try UpLock(dataDirectory: dataDirectory, gatewayURL: HostAddress.httpURL(host, port: ports[.gateway]!))
        } catch let error as AppError {
            ServeCommand.fail(error, format: format, logger: logger)
        }
        defer { lock.release() }
        if !lock.isHeld {
            logger.notice("data dir \(dataDirectory) cannot be locked on this file system; a second up on it would not be refused")
        }
        let order: [ServedComponent] = [.registry, .auth, .orders, .payments, .gateway]
        let children = order.map { component in
            var arguments = ["serve", component.rawValue, "--port", String(ports[component]!), "--host", host, "--data", dataDirectory,
                             "--renew-seconds", String(renewSeconds), "--idle-timeout", String(idleTimeout), "--log-format", format.rawValue]
            if component == .registry { arguments += ["--lease-seconds", String(leaseSeconds)] } else { arguments += ["--registry", registryURL] }
            if component == .gateway { arguments += ["--rate-limit", String(rateLimit), "--burst", String(burst)] }
            if component != .gateway { arguments += engines.childArguments }
            // `up` stops its gateway first, so no gateway is left to route to a stopping service.
            if ![.gateway, .registry].contains(component) { arguments += ["--drain-seconds", "0"] }
            var child = Supervisor.Child(name: component.rawValue, arguments: arguments, port: ports[component]!)
            if component != .gateway { child.environment = engines.childEnvironment }
            return child
        }
        let supervisor = Supervisor(executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
                                    children: children, host: host, logger: logger, liveness: liveness)
        let signals = Task { await TerminationSignal.wait() }
        // Ctrl-C while the children are still coming up stops them at once, not after a timeout.
        let starting = Task { try await supervisor.start() }
        let interrupt = Task {
            _ = await signals.value
            starting.cancel()
        }
        do {
            try await starting.value
        } catch let error as AppError {
            interrupt.cancel()
            await supervisor.stop()
            ServeCommand.fail(error, format: format, logger: logger)
        } catch {
            logger.notice("interrupted while starting; stopping")
            await supervisor.stop()
            throw ExitCode(130)   // a start cut short is not a success (128 + SIGINT, as shells report it)
        }
        print("OrderPay is up (data dir \(dataDirectory)):")
        for component in order { print("  \(component.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(HostAddress.httpURL(host, port: ports[component]!))") }
        print("console: orderpay console --remote \(HostAddress.httpURL(host, port: ports[.gateway]!))   ·   Ctrl-C stops everything")
        fflush(stdout)
        _ = await signals.value
        await supervisor.stop()
    }
}
