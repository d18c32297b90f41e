import ArgumentParser
import Foundation
import OrderPayConsole
import OrderPayConsoleEmbedded
import OrderPayCore
import OrderPayEmbedded
import OrderPayRemote
import OrderPayTerminal

/// `orderpay` with no arguments: the operator console on the embedded default.
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "console", abstract: "The operator console (the default).")
    @OptionGroup var options: GlobalOptions
    @Option(help: "Theme name or path (env ORDERPAY_THEME; default, light, mono, high-contrast, deuteranopia).") var theme: String?
    @Flag(help: "Hide and refuse every action that changes data (a dashboard).") var readOnly = false
    @Option(help: "Replay a keystroke script (see demos/).") var script: String?
    @Option(help: "Script speed factor (2 = twice as fast).") var speed: Double = 1
    @Flag(help: "Don't seed an empty data dir.") var empty = false
    @Flag(help: "No colours (also when NO_COLOR is set).") var noColor = false
    @Flag(help: "Print a line-oriented, screen-reader-friendly view instead of panes.") var plain = false
    @Option(help: "Events kept in the event pane's ring.") var events = 10_000
    @Option(help: "Drive a running system through its gateway (e.g. http://127.0.0.1:8000) instead of the embedded services.") var remote: String?
    @Option(help: "Remote mode: sign in as (env ORDERPAY_EMAIL; asked for when missing).") var email: String?
    @Option(help: "Remote mode: password (env ORDERPAY_PASSWORD; asked for when missing).") var password: String?

    func validate() throws {
        guard speed > 0 else { throw ValidationError("--speed must be positive") }
        guard events > 0 else { throw ValidationError("--events must be positive") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var consoleOptions = ConsoleOptions()
        consoleOptions.readOnly = readOnly
        consoleOptions.eventCapacity = events
        consoleOptions.speed = speed
        consoleOptions.auditPath = (options.dataDirectory as NSString).appendingPathComponent("audit.log")
        if let script {
            guard let text = try? String(contentsOfFile: script, encoding: .utf8) else { CLI.fail("cannot read script \(script)") }
            do { consoleOptions.script = try KeyScript.parse(text) } catch { CLI.fail("\(script): \(error)") }
        }
        let themeName = theme ?? environment["ORDERPAY_THEME"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        // The shipped themes are built in, so a binary copied away from its themes folder has them too.
        let loadedTheme: Theme
        do { loadedTheme = try ThemeLoader.load(themeName) } catch { CLI.fail("\(error)") }
        let noColor = noColor || !(environment["NO_COLOR"] ?? "").isEmpty

        let start: (any Backend) async throws -> Void = { backend in
            if plain {
                try await PlainConsole(backend: backend).run()
                return
            }
            let runtime = ConsoleRuntime(backend: backend, terminal: NcursesTerminal(noColor: noColor), theme: loadedTheme, options: consoleOptions)
            let failure: String?
            do { failure = try await runtime.run() } catch { throw AppError(.unavailable, "\(error)") }
            if let failure { throw AppError(.internal, failure) }
        }
        if let remote {
            // A 429 is waited out (as Retry-After asks, up to a minute, said once on stderr) while
            // signing in and in --plain; the full-screen console's panes back off by themselves.
            let remoteOptions = RemoteBackend.Options()
            do {
                let backend = try await RemoteLogin.signIn(gateway: remote, email: email ?? environment["ORDERPAY_EMAIL"],
                                                           password: password ?? environment["ORDERPAY_PASSWORD"], options: remoteOptions)
                if !plain { remoteOptions.rateLimitPatience?.finish() }
                try await start(backend)
            } catch let error as AppError {
                CLI.fail(error.description, code: error.kind.exitCode)
            }
            return
        }
        try await CLI.run(options, createsDataDirectory: true) { system in
            if try await system.auth.countUsers() == 0 && !empty {
                FileHandle.standardError.write(Data("nothing in \(options.engines.databaseURL == nil ? "data dir " + options.dataDirectory : "the database") yet: seeding demo data…\n".utf8))
                _ = try await DemoSeeder(system: system).seed()
            }
            try await start(EmbeddedBackend(system: system, operatorName: cliOperator.email))
        }
    }
}
