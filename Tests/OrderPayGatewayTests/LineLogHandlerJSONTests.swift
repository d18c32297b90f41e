import Foundation
import Logging
import NIOCore
import NIOPosix
@testable import OrderPayGateway
import XCTest

/// The log lines `orderpay serve` and `up` write for log collectors (`--log-format json`).
final class LineLogHandlerJSONTests: XCTestCase {
    /// Logs through a JSON handler on a pipe and returns each line, parsed.
    private func jsonLines(_ body: (Logger, LineLogHandler) -> Void) throws -> [[String: Any]] {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]) }
        var handler = LineLogHandler(label: "orderpay.test", fileDescriptor: fds[1], format: .json, metadataProvider: nil)
        handler.logLevel = .info
        let logger = Logger(label: "orderpay.test") { _ in handler }
        body(logger, handler)
        close(fds[1])
        let text = String(decoding: FileHandle(fileDescriptor: fds[0]).readDataToEndOfFile(), as: UTF8.self)
        return try text.split(separator: "\n").map { line in
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
        }
    }

    func testEveryLineIsOneJSONObjectWhateverItHolds() throws {
        struct Failure: Error {}
        let lines = try jsonLines { logger, _ in
            logger.warning("a \"quoted\" message\nover two lines\twith a tab, a \u{1} and ünïcode ☕",
                           metadata: ["path": "/a\\b", "message": "a clash", "list": ["1", "x\"y"], "map": ["k": "v"], "count": .stringConvertible(42)],
                           source: "Tests")
            logger.error("failed", error: Failure(), source: "Tests")
            logger.debug("below the level")
        }
        XCTAssertEqual(lines.count, 2)
        let first = lines[0]
        XCTAssertEqual(first["message"] as? String, "a \"quoted\" message\nover two lines\twith a tab, a \u{1} and ünïcode ☕")
        XCTAssertEqual(first["level"] as? String, "warning")
        XCTAssertEqual(first["label"] as? String, "orderpay.test")
        XCTAssertEqual(first["source"] as? String, "Tests")
        XCTAssertEqual(first["path"] as? String, "/a\\b")
        XCTAssertEqual(first["metadata.message"] as? String, "a clash", "a metadata key never overwrites the line's own")
        XCTAssertEqual(first["list"] as? [String], ["1", "x\"y"])
        XCTAssertEqual(first["map"] as? [String: String], ["k": "v"])
        XCTAssertEqual(first["count"] as? String, "42")
        let timestamp = try XCTUnwrap(first["timestamp"] as? String)
        XCTAssertNotNil(timestamp.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression), timestamp)
        let parsed = try XCTUnwrap(ISO8601DateFormatter.withMilliseconds.date(from: timestamp))
        XCTAssertLessThan(abs(parsed.timeIntervalSinceNow), 60, "UTC, not local time: \(timestamp)")
        XCTAssertEqual(lines[1]["error.type"] as? String, String(reflecting: Failure.self))
    }

    /// The access log's direct path writes the very line swift-log's path writes, in JSON too.
    func testAccessLinesWrittenDirectlyMatchTheLoggersOwn() throws {
        let lines = try jsonLines { logger, handler in
            XCTAssertTrue(handler.writesAccessLinesDirectly)
            logger.info("GET /api/orders/\"1\" 404 (client gone)", metadata: ["requestId": "req-7", "ms": "12"], source: "OrderPayGateway")
            handler.logAccess(method: "GET", path: "/api/orders/\"1\"", status: 404, requestId: "req-7", milliseconds: 12,
                              source: "OrderPayGateway", note: "client gone")
            logger.info("GET / 200", metadata: ["requestId": "q", "ms": "3", "client": "::1", "upstream": "[::1]:8082"], source: "OrderPayGateway")
            handler.logAccess(method: "GET", path: "/", status: 200, requestId: "q", milliseconds: 3, source: "OrderPayGateway",
                              client: "::1", upstream: "[::1]:8082")
        }
        XCTAssertEqual(lines.count, 4)
        XCTAssertEqual(lines[2].filter { $0.key != "timestamp" } as NSDictionary, lines[3].filter { $0.key != "timestamp" } as NSDictionary)
        XCTAssertEqual(lines[3]["upstream"] as? String, "[::1]:8082")
        let withoutTime = lines.map { $0.filter { $0.key != "timestamp" } as NSDictionary }
        XCTAssertEqual(withoutTime[0], withoutTime[1])
        XCTAssertEqual(lines[1]["message"] as? String, "GET /api/orders/\"1\" 404 (client gone)")
        XCTAssertEqual(lines[1]["ms"] as? String, "12")
    }

    /// Two writers on one pipe (as `up`'s children share its standard error), each sending its
    /// event loop's batch of lines at once, with a reader that falls behind: every line arrives
    /// whole. Writes of a whole batch (up to 64 KB) were spliced into each other's lines.
    func testBatchesOnASharedPipeNeverSpliceLines() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let second = dup(fds[1])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let reader = Thread.detachNewThreadWithResult { () -> Data in
            var data = Data()
            var buffer = [UInt8](repeating: 0, count: 1024)
            while true {
                let count = read(fds[0], &buffer, buffer.count)
                if count <= 0 { return data }
                data.append(contentsOf: buffer[0..<count])
                usleep(20)   // behind the writers
            }
        }
        let padding = String(repeating: "x", count: 180)
        let writers = [fds[1], second].enumerated().map { index, fd in
            group.next().submit {
                var handler = LineLogHandler(label: "writer\(index)", fileDescriptor: fd, format: .json, batchesOnEventLoops: true,
                                             metadataProvider: nil)
                handler.logLevel = .info
                for line in 0..<3000 {
                    handler.logAccess(method: "GET", path: "/\(padding)/\(line)", status: 200, requestId: "w\(index)", milliseconds: 1,
                                      source: "Tests")
                }
            }
        }
        for writer in writers { try writer.wait() }
        // Each loop writes its batch once the submitted task has returned: let both finish.
        try group.next().scheduleTask(in: .milliseconds(200)) {}.futureResult.wait()
        try group.any().submit {}.wait()
        close(fds[1]); close(second)
        let text = String(decoding: reader.value, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        let broken = lines.filter { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) == nil }
        XCTAssertEqual(lines.count, 6000)
        XCTAssertEqual(broken.count, 0, "spliced lines, e.g. \(broken.first.map { String($0.prefix(300)) } ?? "")")
    }

    func testTheFormatComesFromTheFlagThenTheEnvironmentThenTheTerminal() throws {
        XCTAssertEqual(try LogFormat.resolve(flag: "json", environment: [LogFormat.environmentKey: "text"], standardErrorIsTerminal: true), .json)
        XCTAssertEqual(try LogFormat.resolve(flag: nil, environment: [LogFormat.environmentKey: "TEXT"], standardErrorIsTerminal: false), .text)
        XCTAssertEqual(try LogFormat.resolve(flag: nil, environment: [:], standardErrorIsTerminal: false), .json)
        XCTAssertEqual(try LogFormat.resolve(flag: nil, environment: [LogFormat.environmentKey: ""], standardErrorIsTerminal: true), .text)
        XCTAssertThrowsError(try LogFormat.resolve(flag: "xml", environment: [:], standardErrorIsTerminal: true)) { error in
            XCTAssertEqual("\(error)", "--log-format must be text or json, not 'xml'")
        }
        XCTAssertThrowsError(try LogFormat.resolve(flag: nil, environment: [LogFormat.environmentKey: "yaml"], standardErrorIsTerminal: true)) { error in
            XCTAssertEqual("\(error)", "ORDERPAY_LOG_FORMAT must be text or json, not 'yaml'")
        }
    }
}

private extension ISO8601DateFormatter {
    static var withMilliseconds: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}

private extension Thread {
    /// Runs `body` on a new thread; `value` waits for its result.
    final class Result<Value>: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var result: Value?
        fileprivate func set(_ value: Value) { result = value; done.signal() }
        var value: Value { done.wait(); return result! }
    }

    static func detachNewThreadWithResult<Value>(_ body: @escaping () -> Value) -> Result<Value> {
        let result = Result<Value>()
        Thread.detachNewThread { result.set(body()) }
        return result
    }
}
