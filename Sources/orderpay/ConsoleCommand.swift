import ArgumentParser
import Foundation
import OrderPayConsole
import OrderPayConsoleEmbedded
import OrderPayCore
import OrderPayEmbedded
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
        let loadedTheme: Theme
        do { loadedTheme = try ThemeLoader.load(themeName) } catch {
            // Without a themes folder (a binary copied elsewhere) the default falls back to attributes only.
            guard theme == nil, environment["ORDERPAY_THEME"] == nil, "\(error)".hasPrefix("unknown theme") else { CLI.fail("\(error)") }
            loadedTheme = .fallback
        }
        let noColor = noColor || !(environment["NO_COLOR"] ?? "").isEmpty

        try await CLI.run(options) { system in
            if try await system.auth.countUsers() == 0 && !empty {
                FileHandle.standardError.write(Data("empty data dir \(options.dataDirectory): seeding demo data…\n".utf8))
                _ = try await DemoSeeder(system: system).seed()
            }
            let backend = EmbeddedBackend(system: system, operatorName: cliOperator.email)
            if plain {
                try await PlainConsole(backend: backend).run()
                return
            }
            let runtime = ConsoleRuntime(backend: backend, terminal: NcursesTerminal(noColor: noColor), theme: loadedTheme, options: consoleOptions)
            let failure: String?
            do { failure = try await runtime.run() } catch { throw AppError(.unavailable, "\(error)") }
            if let failure { throw AppError(.internal, failure) }
        }
    }
}
