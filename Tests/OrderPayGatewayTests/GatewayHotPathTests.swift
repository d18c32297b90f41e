import Foundation
import NIOHTTP1
import Logging
@testable import OrderPayGateway
import OrderPayHTTP
import XCTest

/// The pieces of the proxy path made cheaper for throughput keep their behaviour: traceparent
/// validation and propagation, id generation, and the access-log line format.
final class GatewayHotPathTests: XCTestCase {
    /// The gateway continues exactly the traceparents the services would (one rule,
    /// `TraceContext.parse`), and starts a new trace for the rest.
    func testTheGatewayContinuesTheTracesTheServicesWould() {
        let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let futureVersion = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"
        for kept in [valid, futureVersion, String(Substring(valid))] {
            XCTAssertEqual(TraceHeaders(requestId: nil, traceparent: kept).traceId, "4bf92f3577b34da6a3ce929d0e0e4736", kept)
        }
        for refused in ["00-00000000000000000000000000000000-00f067aa0ba902b7-01", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", valid + "0",
                        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902g7-01",
                        "", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"] {
            XCTAssertNil(TraceContext.parse(refused), refused)
            let fresh = TraceHeaders(requestId: nil, traceparent: refused)
            XCTAssertNotEqual(fresh.traceId, "4bf92f3577b34da6a3ce929d0e0e4736", refused)
            XCTAssertNotNil(TraceContext.parse(fresh.traceparent), "a new trace is itself valid")
        }
    }

    func testKeepsTheTraceAndRequestIdAndMakesANewSpan() {
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let trace = TraceHeaders([TraceHeaders.traceparentName: parent, TraceHeaders.requestIdName: "req-1"])
        XCTAssertEqual(trace.requestId, "req-1")
        XCTAssertEqual(trace.traceId, "4bf92f3577b34da6a3ce929d0e0e4736")
        XCTAssertNotNil(TraceContext.parse(trace.traceparent))
        XCTAssertNotEqual(trace.traceparent, parent)
        XCTAssertTrue(trace.traceparent.hasSuffix("-01"))
    }

    /// The gateway keeps a caller's X-Request-Id only when the services would keep it too, so one
    /// id runs through every log; anything that could forge a log line is replaced.
    func testRequestIdsAreKeptByTheServicesRule() {
        XCTAssertEqual(TraceHeaders(requestId: "req-1.a:b_c", traceparent: nil).requestId, "req-1.a:b_c")
        for forged in ["abc [OrderPayGateway] DELETE /api/users/1 204", "tab\there", String(repeating: "a", count: 129),
                       "a" + String(repeating: "\u{301}", count: 3000), ""] {
            let kept = TraceHeaders(requestId: forged, traceparent: nil).requestId
            XCTAssertNotEqual(kept, forged)
            XCTAssertEqual(kept.count, 32)
        }
    }

    func testGeneratedIdsAreWellFormedAndDistinct() {
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let trace = TraceHeaders([:])
            XCTAssertEqual(trace.requestId.count, 32)
            XCTAssertTrue(trace.requestId.allSatisfy { $0.isHexDigit && !$0.isUppercase })
            XCTAssertNotNil(TraceContext.parse(trace.traceparent), trace.traceparent)
            XCTAssertTrue(seen.insert(trace.requestId).inserted)
            XCTAssertTrue(seen.insert(trace.traceId).inserted)
        }
    }

    func testLogLineHasStreamLogHandlersFormatInOneWrite() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]) }
        var logger = Logger(label: "orderpay.gateway") { LineLogHandler(label: $0, fileDescriptor: fds[1]) }
        logger.logLevel = .info
        logger[metadataKey: "base"] = "1"
        logger.info("GET /api/orders/1 200", metadata: ["requestId": "abc", "ms": "3"])
        logger.debug("not written")
        close(fds[1])
        let text = String(decoding: FileHandle(fileDescriptor: fds[0]).readDataToEndOfFile(), as: UTF8.self)
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, text)
        let line = try XCTUnwrap(lines.first)
        XCTAssertNotNil(line.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} info orderpay\.gateway: base=1 ms=3 requestId=abc \[OrderPayGatewayTests\] GET /api/orders/1 200$"#,
                                   options: .regularExpression), String(line))
    }

    /// The access log's direct path writes the very line swift-log's path writes.
    func testAccessLinesWrittenDirectlyMatchTheLoggersOwn() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]) }
        var handler = LineLogHandler(label: "orderpay.gateway", fileDescriptor: fds[1])
        handler.logLevel = .info
        XCTAssertTrue(handler.writesAccessLinesDirectly)
        let logger = Logger(label: "orderpay.gateway") { _ in handler }
        logger.info("POST /api/orders 201", metadata: ["requestId": "req-7", "ms": "1234"], source: "OrderPayGateway")
        handler.logAccess(method: "POST", path: "/api/orders", status: 201, requestId: "req-7", milliseconds: 1234, source: "OrderPayGateway")
        handler.logAccess(method: "GET", path: "/health", status: 200, requestId: "r", milliseconds: 0, source: "OrderPayGateway")
        logger.info("GET /api/orders 200", metadata: ["requestId": "q", "ms": "3", "client": "::1", "upstream": "127.0.0.1:8082"],
                    source: "OrderPayGateway")
        handler.logAccess(method: "GET", path: "/api/orders", status: 200, requestId: "q", milliseconds: 3, source: "OrderPayGateway",
                          client: "::1", upstream: "127.0.0.1:8082")
        close(fds[1])
        let text = String(decoding: FileHandle(fileDescriptor: fds[0]).readDataToEndOfFile(), as: UTF8.self)
        let lines = text.split(separator: "\n").map { $0.split(separator: " ", maxSplits: 1)[1] }   // without the timestamp
        XCTAssertEqual(lines.count, 5, text)
        XCTAssertEqual(lines[0], lines[1])
        XCTAssertEqual(lines[2], "info orderpay.gateway: ms=0 requestId=r [OrderPayGateway] GET /health 200")
        XCTAssertEqual(lines[3], lines[4])
        XCTAssertEqual(lines[4], "info orderpay.gateway: client=::1 ms=3 requestId=q upstream=127.0.0.1:8082 [OrderPayGateway] GET /api/orders 200")

        // Metadata of the handler's own would have to be merged in: the logger's path then.
        handler.metadata = ["base": "1"]
        XCTAssertFalse(handler.writesAccessLinesDirectly)
        handler.metadata = [:]
        handler.logLevel = .notice
        XCTAssertFalse(handler.writesAccessLinesDirectly)
    }
}
