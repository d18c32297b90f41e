import Foundation
import XCTest

/// The console as an operator meets it: the built binary in a real terminal (tmux), keys sent,
/// the screen read back.
final class ConsoleInTmuxTests: XCTestCase {
    let session = "orderpay-test-\(ProcessInfo.processInfo.processIdentifier)"
    var directory = ""

    /// Runs tmux and returns what it printed. posix_spawn and waitpid rather than Foundation's
    /// Process, which can miss the exit of a tmux client whose server lives on; the output goes
    /// to a file, since the server keeps inherited descriptors open.
    @discardableResult
    func tmux(_ arguments: String...) throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-\(UUID().uuidString).out").path
        defer { unlink(output) }
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = (["tmux"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, "tmux", &actions, nil, argv, environ)
        guard spawned == 0 else { throw NSError(domain: "tmux", code: Int(spawned), userInfo: [NSLocalizedDescriptionKey: "cannot run tmux (install it: apt-get install tmux)"]) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    }

    var screen: String { (try? tmux("capture-pane", "-p", "-t", session)) ?? "" }

    /// Waits until the screen shows `text`; fails with the screen otherwise.
    func waitFor(_ text: String, seconds: Double = 15, file: StaticString = #filePath, line: UInt = #line) {
        waitFor("\"\(text)\"", seconds: seconds, file: file, line: line) { $0.contains(text) }
    }

    /// Waits until some line of the screen matches `pattern` (a regular expression).
    func waitFor(line pattern: String, seconds: Double = 15, file: StaticString = #filePath, line: UInt = #line) {
        waitFor("a line like /\(pattern)/", seconds: seconds, file: file, line: line) { screen in
            screen.split(separator: "\n").contains { $0.range(of: pattern, options: .regularExpression) != nil }
        }
    }

    func waitFor(_ what: String, seconds: Double, file: StaticString, line: UInt, _ shown: (String) -> Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if shown(screen) { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTFail("\(what) never appeared; screen:\n\(screen)", file: file, line: line)
    }

    func keys(_ keys: String...) throws {
        for key in keys { try tmux("send-keys", "-t", session, key) }
    }

    func type(_ text: String) throws { try tmux("send-keys", "-t", session, "-l", text) }

    var services: Process?

    /// Places order 201 with a declined card, sees it fail, retries it with tok_visa from the
    /// orders pane and sees FAILED → PENDING → PAID in the order's detail.
    func placeDeclinedOrderAndRetryWithVisa(file: StaticString = #filePath, line: UInt = #line) throws {
        try keys("n")
        waitFor("New order", file: file, line: line)
        try keys("BTab", "C-u")  // the token is the last field
        try type("tok_chargeDeclined")
        try keys("Enter")
        waitFor("Confirm", file: file, line: line)
        try keys("y")
        // The orders pane (the left one) has the order on its top row, FAILED; the payments
        // pane may show its payment failed a moment earlier.
        waitFor(line: "^│[ ›]\\s+201 ✗ FAILED ", file: file, line: line)
        try keys("2", "g", "r")
        waitFor("Retry payment #201", file: file, line: line)
        try type("tok_visa")
        try keys("Enter")
        waitFor("Confirm", file: file, line: line)
        try keys("y")
        waitFor("FAILED → PENDING", file: file, line: line)
        waitFor("PENDING → PAID", file: file, line: line)
    }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-tmux-\(UUID().uuidString)").path
    }

    /// Starts the built console in a 160×45 tmux window. The shell prints the exit status after
    /// the console ends, so a test sees the terminal come back.
    func startConsole(_ arguments: String = "") throws {
        let command = "LANG=C.UTF-8 TERM=xterm-256color \(CLITests.binary.path) \(arguments) --data \(directory); echo \"console exited $?\"; sleep 60"
        try tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "45", command)
    }

    override func tearDownWithError() throws {
        try? tmux("kill-session", "-t", session)
        if let services, services.isRunning {
            services.terminate()
            services.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testPlaceDeclinedOrderRetryWithVisaFilterResizeAndQuit() throws {
        try startConsole()
        waitFor("2 Orders 1–")
        XCTAssertTrue(screen.contains("김민준") || screen.contains("Registry"), screen)

        // A new order with a declined card.
        try placeDeclinedOrderAndRetryWithVisa()
        try keys("Escape")

        // Filter the payments pane.
        try keys("3", "/")
        try type("declined")
        try keys("Enter")
        waitFor("/declined")
        let payments = screen.split(separator: "\n").filter { $0.contains("SUCCESS") && $0.contains("│") && !$0.contains("Events") }
        XCTAssertTrue(payments.allSatisfy { $0.contains("declined") || !$0.contains("┐") }, screen)
        try keys("Escape")

        // Narrow: the panes become tabs; too small: a message, not a crash.
        try tmux("resize-window", "-t", session, "-x", "80", "-y", "24")
        waitFor("1 Users │ 2 Orders")
        try tmux("resize-window", "-t", session, "-x", "40", "-y", "10")
        waitFor("terminal too small")
        try tmux("resize-window", "-t", session, "-x", "160", "-y", "45")
        waitFor("5 Registry")

        // Quit restores the terminal and exits 0.
        try keys("q")
        waitFor("console exited 0")
        XCTAssertFalse(screen.contains("5 Registry"), "the console's screen should be gone:\n\(screen)")
    }

    func testHangupEndsTheConsoleCleanly() throws {
        try startConsole()
        waitFor("2 Orders 1–")
        let pid = try XCTUnwrap(Int32(tmux("display-message", "-p", "-t", session, "#{pane_pid}").trimmingCharacters(in: .whitespacesAndNewlines)))
        // The console is the shell's child; SIGHUP to it is what a dropped SSH session sends.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/pkill")
        child.arguments = ["-HUP", "-P", "\(pid)", "orderpay"]
        try child.run()
        child.waitUntilExit()
        waitFor("console exited 0")
    }

    /// Remote mode: `orderpay up` on random ports, the console over its gateway with libcurl.
    func testRemoteModeThroughTheGateway() throws {
        let seeded = try CLITests.run(["seed"], data: directory + "/services")
        XCTAssertEqual(seeded.status, 0, seeded.stderr)
        let url = try startServices()

        try startConsole("--remote \(url) --email admin@orderpay.dev --password orderpay-admin")
        waitFor("remote ▸ \(url)")
        waitFor("2 Orders 1–20 of 200")
        try placeDeclinedOrderAndRetryWithVisa()
        try keys("Escape", "q")
        waitFor("console exited 0")
    }

    /// The sign-in prompt sends the password exactly as typed: spaces at its ends are part of it
    /// (trimmed, a valid password could never sign in, and each try counted toward a lockout).
    /// The email's spaces are still trimmed.
    func testSignInPromptSendsThePasswordAsTyped() throws {
        let password = "  spaces at both ends  "
        let created = try CLITests.run(["users", "create", "--email", "spaced@example.com", "--name", "Spaced Admin",
                                        "--password", password, "--role", "user", "--role", "admin"], data: directory + "/services")
        XCTAssertEqual(created.status, 0, created.stderr)
        let url = try startServices()

        try startConsole("--remote \(url)")
        waitFor("Email:")  // tmux drops trailing spaces
        try type(" spaced@example.com ")
        try keys("Enter")
        waitFor("Password:")
        try type(password)
        try keys("Enter")
        waitFor("remote ▸ \(url) ▸ spaced@example.com")
        try keys("q")
        waitFor("console exited 0")
        XCTAssertFalse(screen.contains("sign-in failed"), screen)
    }

    /// Starts `orderpay up` on random ports over `directory/services`; returns the gateway's URL.
    func startServices() throws -> String {
        let log = directory + "/up.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let up = Process()
        up.executableURL = CLITests.binary
        up.arguments = ["up", "--random-ports", "--data", directory + "/services"]
        up.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        up.standardError = FileHandle.nullDevice
        try up.run()
        services = up
        var gateway: String?
        let deadline = Date().addingTimeInterval(60)
        while gateway == nil, Date() < deadline {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            gateway = text.split(separator: "\n").first { $0.contains("gateway") && $0.contains("http://") }
                .flatMap { $0.split(separator: " ").last.map(String.init) }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return try XCTUnwrap(gateway, "orderpay up never printed the gateway's URL")
    }
}
