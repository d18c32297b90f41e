import AsyncHTTPClient
import Foundation
import Logging
import OrderPayCore

/// `orderpay up`: runs registry, auth, orders, payments and gateway as child processes of this
/// binary, waits until each is healthy, restarts one that dies or stops answering (with
/// backoff), and stops them all, in reverse order, on Ctrl-C / SIGTERM.
public final class Supervisor: @unchecked Sendable {
    public struct Child: Sendable {
        public let name: String
        public let arguments: [String]
        public let port: Int
        /// Variables set for this child on top of the supervisor's own environment.
        public var environment: [String: String] = [:]
        /// When set, the child's stdout and stderr (its log) are appended to this file instead of the terminal.
        public var logFile: String?
        public init(name: String, arguments: [String], port: Int) { self.name = name; self.arguments = arguments; self.port = port }
    }

    let executable: URL
    let children: [Child]
    let host: String
    let logger: Logger
    /// nil: a child is restarted only when it exits.
    let liveness: Liveness?
    private let lock = NSLock()
    private var processes: [String: Process] = [:]
    /// Children being started (by `start` or a restart loop): whoever starts one handles its
    /// failures, so an exit seen meanwhile starts no second loop.
    private var starting: Set<String> = []
    private var stopping = false
    /// Each child's last restart delay and when it was last healthy: the delay doubles for a
    /// child that dies again soon after coming back, and starts over after a while up.
    private var restartDelays: [String: Duration] = [:]
    private var healthySince: [String: ContinuousClock.Instant] = [:]
    /// For a child the liveness watch is ending: when it last answered. A hang counts as a death
    /// then, not when the watch gave up on it, else one that hangs soon after every restart would
    /// always look stable (it answers nothing for `Liveness.timeout`, 30 s, before it is ended).
    private var silentSince: [String: ContinuousClock.Instant] = [:]
    /// How long a restarted child must stay up before its next death starts the backoff over.
    let stableAfter: Duration

    public init(executable: URL, children: [Child], host: String, logger: Logger, liveness: Liveness? = nil,
                stableAfter: Duration = .seconds(30)) {
        self.executable = executable
        self.children = children
        self.host = host
        self.logger = logger
        self.liveness = liveness
        self.stableAfter = stableAfter
    }

    /// Starts every child in order, each once the previous is healthy.
    public func start() async throws {
        for child in children {
            lock.withLock { _ = starting.insert(child.name) }
            try launch(child)
            try await waitHealthy(child, timeout: .seconds(60))
            logger.notice("\(child.name) is up at \(HostAddress.httpURL(host, port: child.port))")
            supervise(child)
        }
    }

    /// From now on an exit of the child's process restarts it, including one that happened
    /// between its health check and this call, and so does its no longer answering.
    private func supervise(_ child: Child) {
        let process: Process? = lock.withLock {
            starting.remove(child.name)
            // A silence noted for a process that exited by itself meanwhile, too late for its
            // restart to read, must not count against the next one.
            silentSince[child.name] = nil
            return processes[child.name]
        }
        guard let process else { return }
        if process.isRunning { watchLiveness(of: child, process: process) } else { exited(child, process: process) }
    }

    /// Whether `process` is the child's current process, running and supervised (not being
    /// started or replaced, and `up` not stopping).
    func isSupervised(_ process: Process, as child: Child) -> Bool {
        lock.withLock { !stopping && processes[child.name] === process && !starting.contains(child.name) } && process.isRunning
    }

    func launch(_ child: Child) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = child.arguments
        var environment = ProcessInfo.processInfo.environment.merging(child.environment) { $1 }
        environment[SupervisorWatch.environmentKey] = String(getpid())
        process.environment = environment
        if let logFile = child.logFile {
            if !FileManager.default.fileExists(atPath: logFile) { FileManager.default.createFile(atPath: logFile, contents: nil) }
            if let handle = FileHandle(forWritingAtPath: logFile) {
                handle.seekToEndOfFile()
                process.standardOutput = handle
                process.standardError = handle
            }
        }
        process.terminationHandler = { [weak self] finished in self?.exited(child, process: finished) }
        do { try process.run() } catch {
            throw AppError(.unavailable, "cannot start \(child.name): \(error.localizedDescription)")
        }
        // A stop that began while this one was launching has already sent its signals.
        let late: Bool = lock.withLock {
            processes[child.name] = process
            return stopping
        }
        if late { process.terminate() }
    }

    /// Restarts the child if `process` is its current, supervised process (not one a start or
    /// restart is still waiting on, and not one replaced since).
    func exited(_ child: Child, process: Process) {
        let restart: Bool = lock.withLock {
            guard !stopping, processes[child.name] === process, !starting.contains(child.name) else { return false }
            starting.insert(child.name)
            return true
        }
        guard restart else { return }
        logger.error("\(child.name) \(Self.describeExit(of: process)); restarting it")
        Task { await self.restart(child) }
    }

    static func describeExit(of process: Process) -> String {
        process.terminationReason == .uncaughtSignal
            ? "was killed by signal \(process.terminationStatus)" : "exited with status \(process.terminationStatus)"
    }

    func restart(_ child: Child) async {
        let (hung, firstDelay): (Bool, Duration) = lock.withLock {
            // Up for a while: start over at 1 s. Died (or went silent) again soon after coming
            // back: wait longer. A first death (never restarted before) waits 1 s however soon
            // it came after the start.
            let silent = silentSince.removeValue(forKey: child.name)
            let upUntil = silent ?? ContinuousClock.now
            let stable = restartDelays[child.name] == nil || healthySince[child.name].map { upUntil - $0 >= stableAfter } ?? true
            return (silent != nil, stable ? .seconds(1) : min((restartDelays[child.name] ?? .seconds(1)) * 2, .seconds(30)))
        }
        var delay = firstDelay
        if delay > .seconds(1) {
            logger.notice("\(child.name) \(hung ? "stopped answering" : "died") again soon after its restart; waiting \(delay)")
        }
        while !lock.withLock({ stopping }) {
            lock.withLock { restartDelays[child.name] = delay }
            try? await Task.sleep(for: delay)
            guard !lock.withLock({ stopping }) else { break }
            do {
                try launch(child)
                try await waitHealthy(child, timeout: .seconds(30))
                logger.notice("\(child.name) restarted and healthy at \(HostAddress.httpURL(host, port: child.port))")
                supervise(child)
                return
            } catch {
                if lock.withLock({ stopping }) { break }
                lock.withLock { processes[child.name] }?.terminate()
                delay = min(delay * 2, .seconds(30))
                logger.error("restarting \(child.name) failed: \(error); retrying in \(delay)")
            }
        }
        lock.withLock { _ = starting.remove(child.name) }
    }

    /// Healthy: the child's own process listens on its port and answers /health with 200 (a
    /// port answered by something else, such as a leftover process, does not count).
    func waitHealthy(_ child: Child, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        let request = healthRequest(child)
        while ContinuousClock.now < deadline {
            guard let process = lock.withLock({ processes[child.name] }) else { break }
            if !process.isRunning {
                throw AppError(.unavailable, "\(child.name) \(Self.describeExit(of: process)) while starting (see its error above)")
            }
            if ListeningSocket.isOwned(by: process.processIdentifier, port: child.port),
               let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)), response.status == .ok {
                lock.withLock { healthySince[child.name] = .now }
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw AppError(.unavailable, "\(child.name) did not become healthy within \(timeout)")
    }

    /// Called by the liveness watch before it ends the child's process.
    func noteSilent(_ child: Child, since instant: ContinuousClock.Instant) {
        lock.withLock { silentSince[child.name] = instant }
    }

    /// `GET /health` on the child's port: the start-up check and the liveness watch ask the same.
    func healthRequest(_ child: Child) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: HostAddress.httpURL(host, port: child.port) + "/health")
        request.method = .GET
        return request
    }

    /// The process running the child of this name, if one is.
    public func processID(of name: String) -> Int32? {
        lock.withLock { processes[name]?.processIdentifier }
    }

    /// SIGTERM to every child, newest first; SIGKILL to any still running after `grace`. A second
    /// pass catches a child a restart was launching meanwhile (it is signalled as it registers).
    /// SIGTERM is sent again every second: a child still starting up has it ignored (inherited
    /// from this process, which waits for signals itself) until it installs its own handling.
    public func stop(grace: Duration = .seconds(10)) async {
        for _ in 0..<2 {
            let running: [(String, Process)] = lock.withLock {
                stopping = true
                return children.reversed().compactMap { child in processes[child.name].map { (child.name, $0) } }
            }
            for (name, process) in running where process.isRunning {
                logger.notice("stopping \(name)")
                process.terminate()
                let deadline = ContinuousClock.now + grace
                var resend = ContinuousClock.now + .seconds(1)
                while process.isRunning && ContinuousClock.now < deadline {
                    try? await Task.sleep(for: .milliseconds(50))
                    if ContinuousClock.now >= resend, process.isRunning {
                        process.terminate()
                        resend = ContinuousClock.now + .seconds(1)
                    }
                }
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
        }
    }
}
