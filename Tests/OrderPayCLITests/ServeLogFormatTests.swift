import Foundation
import XCTest

/// `orderpay serve` logs one JSON object per line when its standard error is not a terminal
/// (a file, a pipe, a log collector), and text when asked.
final class ServeLogFormatTests: XCTestCase {
    /// Runs `serve registry` with standard error into a file until it listens, stops it, and
    /// returns what it logged.
    private func serveRegistry(_ extra: [String] = [], environment: [String: String] = [:]) async throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-logformat-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let logPath = directory + "/stderr.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = ["serve", "registry", "--port", "0", "--data", directory + "/data"] + extra
        var inherited = ProcessInfo.processInfo.environment
        inherited.removeValue(forKey: "ORDERPAY_LOG_FORMAT")
        process.environment = inherited.merging(environment) { $1 }
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(30)
        while !(try String(contentsOfFile: logPath, encoding: .utf8)).contains("registry listening on"), ContinuousClock.now < deadline, process.isRunning {
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        process.waitUntilExit()
        return try String(contentsOfFile: logPath, encoding: .utf8)
    }

    func testLinesAreJSONWhenStandardErrorIsNotATerminal() async throws {
        let log = try await serveRegistry()
        let lines = log.split(separator: "\n")
        XCTAssertGreaterThanOrEqual(lines.count, 2, log)
        for line in lines {
            let object = try XCTUnwrap(try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
            for key in ["timestamp", "level", "label", "source", "message"] { XCTAssertNotNil(object[key], "\(key) missing: \(line)") }
        }
        XCTAssertTrue(lines.contains { $0.contains(#""label":"orderpay.registry""#) && $0.contains("registry listening on http://127.0.0.1:") }, log)
    }

    func testTextWhenAskedByFlagOrEnvironment() async throws {
        for (extra, environment) in [(["--log-format", "text"], [:]), ([], ["ORDERPAY_LOG_FORMAT": "text"])] {
            let log = try await serveRegistry(extra, environment: environment)
            let listening = try XCTUnwrap(log.split(separator: "\n").first { $0.contains("registry listening on") }, log)
            XCTAssertNotNil(listening.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} notice orderpay\.registry: \[orderpay\] registry listening on "#,
                                            options: .regularExpression), String(listening))
        }
    }
}
