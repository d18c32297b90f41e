import Foundation
import Logging
import OrderPayCore
import OrderPayServer
import OrderPayStore
import OrderPayTestSupport
import XCTest

/// `orderpay up`'s supervisor on real child processes (this package's binary serving a registry).
final class SupervisorTests: XCTestCase {
    static var binary: URL { Bundle.main.bundleURL.appendingPathComponent("orderpay") }

    /// Processes of this binary serving on `port`.
    private func children(on port: Int) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry),
                  let raw = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let arguments = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.contains("serve") && arguments.contains(String(port)) ? pid : nil
        }
    }

    /// Listens on `port` (as another program would) until closed.
    private func occupy(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = loopbackAddress(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else { close(fd); throw XCTSkip("could not take port \(port) back: \(errno)") }
        return fd
    }

    /// A listener is found however many sockets the machine has: /proc/net/tcp was read only to
    /// its first page (about 26 sockets), so on a busy machine `up` never saw its children listen
    /// and gave up after a minute.
    func testListenersAreFoundAmongManySockets() throws {
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        var ports: [Int] = []
        for _ in 0..<80 {
            let fd = try occupy(0)
            sockets.append(fd)
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        let missed = ports.filter { !ListeningSocket.isOwned(by: getpid(), port: $0) }
        XCTAssertEqual(missed, [], "\(missed.count) of \(ports.count) listeners not found")
    }

    /// A port answered by another process (here a registry in this test's own process) is not the
    /// child's health: the child cannot bind it and exits, and the start says so.
    func testAPortAnsweredBySomethingElseIsNotTheChildsHealth() async throws {
        let directory = try temporaryDirectory("supervisor-squat").path
        var options = RegistryHost.Options(dataDirectory: directory)
        options.port = FreePort.find()
        let (squatter, eviction) = try await RegistryHost.start(options, logger: Logger(label: "squatter"))
        defer { eviction.cancel() }
        XCTAssertTrue(ListeningSocket.isOwned(by: getpid(), port: squatter.port))
        let child = Supervisor.Child(name: "registry", arguments: ["serve", "registry", "--port", String(squatter.port), "--host", "127.0.0.1",
                                                                 "--data", directory + "/child"], port: squatter.port)
        let supervisor = Supervisor(executable: Self.binary, children: [child], host: "127.0.0.1", logger: Logger(label: "supervisor"))
        do {
            try await supervisor.start()
            XCTFail("the squatter's /health was taken for the child's")
        } catch {
            XCTAssertTrue("\(error)".contains("while starting"), "\(error)")
        }
        await supervisor.stop()
        await squatter.stop()
    }

    func testAChildWhoseRestartsFailForAWhileEndsAsOneSupervisedProcess() async throws {
        let directory = try temporaryDirectory("supervisor").path
        let port = FreePort.find()
        let log = CapturedLog()
        var registry = Supervisor.Child(name: "registry", arguments: ["serve", "registry", "--port", String(port), "--host", "127.0.0.1",
                                                                    "--data", directory], port: port)
        registry.logFile = directory + "/registry.log"
        let supervisor = Supervisor(executable: Self.binary, children: [registry], host: "127.0.0.1", logger: Logger(label: "supervisor") { _ in log.handler })
        try await supervisor.start()
        let first = try XCTUnwrap(children(on: port).first)

        kill(first, SIGKILL)
        try await Task.sleep(for: .milliseconds(100))
        // The first restarts (after 1 s, then 2 s) find the port taken and exit at once.
        let holder = try occupy(port)
        try await Task.sleep(for: .seconds(3.5))
        close(holder)

        let deadline = ContinuousClock.now + .seconds(20)
        while !log.messages.contains(where: { $0.message.contains("restarted and healthy") }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        try await Task.sleep(for: .seconds(3))   // time for any second restart loop to show itself
        let messages = log.messages.map(\.message)
        XCTAssertEqual(messages.filter { $0.contains("restarted and healthy") }.count, 1, "\(messages)")
        // Its first death waits the first delay (1 s), however soon it came after the start.
        XCTAssertFalse(messages.contains { $0.contains("died again soon") }, "\(messages)")
        XCTAssertEqual(messages.filter { $0.hasPrefix("registry was killed by signal 9") }.count, 1, "\(messages)")
        XCTAssertEqual(children(on: port).count, 1, "one registry process, supervised")

        await supervisor.stop()
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertEqual(children(on: port), [], "stopping leaves no process behind")
    }

    /// A registry child supervised with a short liveness limit, and its log.
    private func supervisedRegistry(_ name: String, liveness: Supervisor.Liveness,
                                    stableAfter: Duration = .seconds(30)) async throws -> (Supervisor, CapturedLog, port: Int, pid: pid_t) {
        let directory = try temporaryDirectory(name).path
        let port = FreePort.find()
        let log = CapturedLog()
        var registry = Supervisor.Child(name: "registry", arguments: ["serve", "registry", "--port", String(port), "--host", "127.0.0.1",
                                                                    "--data", directory], port: port)
        registry.logFile = directory + "/registry.log"
        let supervisor = Supervisor(executable: Self.binary, children: [registry], host: "127.0.0.1",
                                    logger: Logger(label: "supervisor") { _ in log.handler }, liveness: liveness, stableAfter: stableAfter)
        try await supervisor.start()
        return (supervisor, log, port, try XCTUnwrap(supervisor.processID(of: "registry")))
    }

    /// A child that is running but answers nothing (here stopped with SIGSTOP, as a process whose
    /// threads are all blocked would be) is ended and restarted like one that died.
    func testAChildThatStopsAnsweringIsRestarted() async throws {
        let (supervisor, log, port, hung) = try await supervisedRegistry(
            "supervisor-hung", liveness: .init(interval: .milliseconds(300), answerTimeout: .seconds(1), timeout: .seconds(2), grace: .seconds(1)))
        kill(hung, SIGSTOP)
        let deadline = ContinuousClock.now + .seconds(30)
        while !log.messages.contains(where: { $0.message.contains("restarted and healthy") }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        let messages = log.messages.map(\.message)
        XCTAssertEqual(messages.filter { $0.contains("(pid \(hung)) has not answered /health for") }.count, 1, "\(messages)")
        XCTAssertTrue(messages.contains { $0.contains("restarted and healthy") }, "\(messages)")
        XCTAssertFalse(isRunning(hung), "the hung process was ended")
        XCTAssertEqual(children(on: port).count, 1, "one registry process, supervised")
        XCTAssertNotEqual(supervisor.processID(of: "registry"), hung)
        await supervisor.stop()
    }

    /// A child that goes silent again soon after its restart is waited for longer each time, as
    /// one that dies again soon after is: its silence, not the moment it is ended, is its death.
    /// (Here "soon" is 1.5 s, shorter than the 2 s of silence before a hung child is ended: judged
    /// by when it was ended, the second hang would look like a death after a stable run.)
    func testAChildThatHangsAgainSoonAfterItsRestartBacksOff() async throws {
        let (supervisor, log, _, first) = try await supervisedRegistry(
            "supervisor-hangs-again", liveness: .init(interval: .milliseconds(300), answerTimeout: .seconds(1), timeout: .seconds(2), grace: .seconds(1)),
            stableAfter: .milliseconds(1500))
        kill(first, SIGSTOP)
        var second: pid_t?
        let deadline = ContinuousClock.now + .seconds(30)
        while second == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            if log.messages.contains(where: { $0.message.contains("restarted and healthy") }) { second = supervisor.processID(of: "registry") }
        }
        let hungAgain = try XCTUnwrap(second, "\(log.messages.map(\.message))")
        kill(hungAgain, SIGSTOP)
        while log.messages.filter({ $0.message.contains("restarted and healthy") }).count < 2, ContinuousClock.now < deadline + .seconds(15) {
            try await Task.sleep(for: .milliseconds(100))
        }
        let messages = log.messages.map(\.message)
        XCTAssertEqual(messages.filter { $0.contains("restarted and healthy") }.count, 2, "\(messages)")
        XCTAssertEqual(messages.filter { $0.contains("registry stopped answering again soon after its restart; waiting 2") }.count, 1,
                       "\(messages)")
        await supervisor.stop()
    }

    /// An answer is an answer, however bad and however slow (within the look's wait): a gateway
    /// whose registry hangs answers its /health with 503 after about 5 s, and is left running,
    /// while the hung registry itself is restarted.
    func testASlowUnhealthyAnswerStillCountsAsAlive() async throws {
        let directory = try temporaryDirectory("supervisor-slow-503").path
        let (registryPort, gatewayPort) = (FreePort.find(), FreePort.find())
        let log = CapturedLog()
        var registry = Supervisor.Child(name: "registry", arguments: ["serve", "registry", "--port", String(registryPort), "--host", "127.0.0.1",
                                                                    "--data", directory], port: registryPort)
        registry.logFile = directory + "/registry.log"
        var gateway = Supervisor.Child(name: "gateway", arguments: ["serve", "gateway", "--port", String(gatewayPort), "--host", "127.0.0.1",
                                                                  "--data", directory, "--registry", "http://127.0.0.1:\(registryPort)"],
                                       port: gatewayPort)
        gateway.logFile = directory + "/gateway.log"
        let supervisor = Supervisor(executable: Self.binary, children: [registry, gateway], host: "127.0.0.1",
                                    logger: Logger(label: "supervisor") { _ in log.handler },
                                    liveness: .init(interval: .milliseconds(300), answerTimeout: .seconds(8), timeout: .seconds(3), grace: .seconds(1)))
        try await supervisor.start()
        let (hungRegistry, slowGateway) = (try XCTUnwrap(supervisor.processID(of: "registry")), try XCTUnwrap(supervisor.processID(of: "gateway")))
        kill(hungRegistry, SIGSTOP)
        let deadline = ContinuousClock.now + .seconds(60)
        while !log.messages.contains(where: { $0.message.contains("registry restarted and healthy") }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        let messages = log.messages.map(\.message)
        XCTAssertTrue(messages.contains { $0.contains("registry (pid \(hungRegistry)) has not answered") }, "\(messages)")
        XCTAssertFalse(messages.contains { $0.contains("gateway (pid") }, "the gateway answered 503, slowly, and was restarted: \(messages)")
        XCTAssertEqual(supervisor.processID(of: "gateway"), slowGateway)
        await supervisor.stop()
    }

    /// A child that stops answering for less than the limit (a long pause, a burst of load) is left alone.
    func testAChildThatPausesBrieflyIsLeftAlone() async throws {
        let (supervisor, log, _, paused) = try await supervisedRegistry(
            "supervisor-pause", liveness: .init(interval: .milliseconds(300), answerTimeout: .seconds(1), timeout: .seconds(4), grace: .seconds(1)))
        kill(paused, SIGSTOP)
        try await Task.sleep(for: .seconds(1.5))
        kill(paused, SIGCONT)
        try await Task.sleep(for: .seconds(5))
        let messages = log.messages.map(\.message)
        XCTAssertFalse(messages.contains { $0.contains("has not answered") || $0.contains("restarting") }, "\(messages)")
        XCTAssertEqual(supervisor.processID(of: "registry"), paused)
        XCTAssertTrue(isRunning(paused))
        await supervisor.stop()
    }

    /// `kill -9` on `orderpay up` leaves no orphans: each child sees its supervisor gone and
    /// stops itself (else they keep the ports, and the next `up` fails with "port in use").
    func testChildrenOfAKilledUpStopByThemselves() async throws {
        let directory = try temporaryDirectory("supervisor-orphans").path
        let logPath = directory + "/up.log"
        let up = try await startUp(data: directory + "/data", log: logPath)
        let children = childProcesses(of: up.processIdentifier)
        let startLog = try String(contentsOfFile: logPath, encoding: .utf8)
        XCTAssertEqual(children.count, 5, startLog)

        kill(up.processIdentifier, SIGKILL)
        let deadline = ContinuousClock.now + .seconds(20)
        while children.contains(where: isRunning), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        let orphans = children.filter(isRunning)
        orphans.forEach { kill($0, SIGKILL) }
        XCTAssertEqual(orphans, [], "children still serving after their supervisor was killed")
        let log = try String(contentsOfFile: logPath, encoding: .utf8)
        XCTAssertEqual(log.components(separatedBy: "is gone; stopping").count - 1, 5, log)
        // The registry served on until the services had left it: nothing stale for the next `up`.
        let left = try await SQLiteRegistryStore(path: directory + "/data/registry.sqlite").all()
        XCTAssertEqual(left.map(\.instanceId), [], log)
    }

    /// A second `up` on a data dir one is running on is refused before it starts anything,
    /// naming the first; once the first has gone, `up` starts there again.
    func testASecondUpOnOneDataDirIsRefused() async throws {
        let directory = try temporaryDirectory("supervisor-second-up").path
        let first = try await startUp(data: directory + "/data", log: directory + "/first.log")
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        let second = try await startUp(data: directory + "/data", log: directory + "/second.log")
        if second.isRunning {   // it started: stop it and all it started
            kill(second.processIdentifier, SIGTERM)
            second.waitUntilExit()
        }
        let said = try String(contentsOfFile: directory + "/second.log", encoding: .utf8)
        XCTAssertEqual(second.terminationStatus, AppError.Kind.conflict.exitCode, said)
        XCTAssertTrue(said.contains("another orderpay up is running on data dir \(directory)/data (pid \(first.processIdentifier), gateway http://"), said)
        XCTAssertFalse(said.contains("is up"), "the second up started something: \(said)")
        XCTAssertTrue(first.isRunning)

        // The lock goes with its holder, however it ends; its children, left alone, stop by
        // themselves within seconds (until then a new `up` would be let in beside them).
        let orphans = childProcesses(of: first.processIdentifier)
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let gone = ContinuousClock.now + .seconds(20)
        while orphans.contains(where: isRunning), ContinuousClock.now < gone { try await Task.sleep(for: .milliseconds(200)) }
        let third = try await startUp(data: directory + "/data", log: directory + "/third.log")
        let thirdSaid = try String(contentsOfFile: directory + "/third.log", encoding: .utf8)
        XCTAssertTrue(third.isRunning, thirdSaid)
        kill(third.processIdentifier, SIGTERM)
        third.waitUntilExit()
    }

    /// Starts `orderpay up --random-ports` on `data`, its output in `log`, and returns once its
    /// gateway is up, or it has ended, or two minutes have passed.
    private func startUp(data: String, log: String) async throws -> Process {
        FileManager.default.createFile(atPath: log, contents: nil)
        let up = Process()
        up.executableURL = Self.binary
        up.arguments = ["up", "--random-ports", "--data", data]
        up.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        up.standardError = up.standardOutput
        try up.run()
        let started = ContinuousClock.now + .seconds(120)
        while !(try String(contentsOfFile: log, encoding: .utf8)).contains("gateway is up"), ContinuousClock.now < started, up.isRunning {
            try await Task.sleep(for: .milliseconds(200))
        }
        return up
    }

    private func childProcesses(of parent: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(pid_t.init).filter { statusField("PPid", of: $0) == String(parent) }
    }

    /// Alive and not a zombie waiting for its new parent to reap it.
    private func isRunning(_ pid: pid_t) -> Bool {
        guard let state = statusField("State", of: pid) else { return false }
        return !state.hasPrefix("Z") && !state.hasPrefix("X")
    }

    private func statusField(_ name: String, of pid: pid_t) -> String? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        return status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
            .map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) }
    }

    /// `up --random-ports` asks for its five ports at once; released one by one, the kernel may
    /// hand out one twice (about even odds over a few hundred probes).
    func testFreePortsAskedTogetherAreDistinct() {
        let ports = FreePort.find(count: 500)
        XCTAssertEqual(Set(ports).count, 500)
        XCTAssertTrue(ports.allSatisfy { (1...65535).contains($0) })
    }
}
