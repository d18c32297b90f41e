import Foundation
import XCTest

/// The console as an operator meets it: the built binary in a real terminal (tmux), keys sent,
/// the screen read back.
final class ConsoleInTmuxTests: XCTestCase {
    let session = "orderpay-test-\(ProcessInfo.processInfo.processIdentifier)"
    var directory = ""

    /// Runs tmux and returns what it printed. The output goes to a file, not a pipe: a tmux
    /// server started by `new-session` keeps inherited descriptors open for its whole life.
    @discardableResult
    func tmux(_ arguments: String...) throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-\(UUID().uuidString).out")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tmux"] + arguments
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    }

    var screen: String { (try? tmux("capture-pane", "-p", "-t", session)) ?? "" }

    /// Waits until the screen shows `text`; fails with the screen otherwise.
    func waitFor(_ text: String, seconds: Double = 15, file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if screen.contains(text) { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTFail("\"\(text)\" never appeared; screen:\n\(screen)", file: file, line: line)
    }

    func keys(_ keys: String...) throws {
        for key in keys { try tmux("send-keys", "-t", session, key) }
    }

    func type(_ text: String) throws { try tmux("send-keys", "-t", session, "-l", text) }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-tmux-\(UUID().uuidString)").path
        let binary = CLITests.binary.path
        // The shell prints the exit status after the console ends, so a test sees the terminal back.
        let command = "LANG=C.UTF-8 TERM=xterm-256color \(binary) --data \(directory); echo \"console exited $?\"; sleep 60"
        try tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "45", command)
    }

    override func tearDownWithError() throws {
        try? tmux("kill-session", "-t", session)
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testPlaceDeclinedOrderRetryWithVisaFilterResizeAndQuit() throws {
        waitFor("2 Orders 1–")
        XCTAssertTrue(screen.contains("김민준") || screen.contains("Registry"), screen)

        // A new order with a declined card.
        try keys("n")
        waitFor("New order")
        try keys("BTab", "C-u")
        try type("tok_chargeDeclined")
        try keys("Enter")
        waitFor("Confirm")
        try keys("y")
        waitFor("card declined", seconds: 5)
        waitFor("201 ✗ FAILED")

        // Retry it with tok_visa from the orders pane: FAILED → PENDING → PAID.
        try keys("2", "g", "r")
        waitFor("Retry payment")
        try type("tok_visa")
        try keys("Enter")
        waitFor("Confirm")
        try keys("y")
        waitFor("FAILED → PENDING")
        waitFor("PENDING → PAID")
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
}
