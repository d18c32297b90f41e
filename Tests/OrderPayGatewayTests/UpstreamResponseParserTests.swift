import NIOCore
@testable import OrderPayGateway
import XCTest

/// The gateway reads services' responses with its own parser (UpstreamResponseParser): framing,
/// keep-alive, the header lines it relays, and input split at any byte.
final class UpstreamResponseParserTests: XCTestCase {
    private struct Parsed {
        var head: UpstreamHead?
        var body = ""
        var ended = false
        var leftover = 0
    }

    /// Feeds `text` in pieces of `step` bytes, as reads from the socket would.
    private func parse(_ text: String, step: Int = .max, headRequest: Bool = false) throws -> Parsed {
        var parser = UpstreamResponseParser()
        parser.expect(headRequest: headRequest)
        var result = Parsed()
        var pending = ByteBuffer()
        let bytes = Array(text.utf8)
        var offset = 0
        outer: while offset < bytes.count {
            let end = min(bytes.count, offset + min(step, bytes.count))
            pending.writeBytes(bytes[offset..<end])
            offset = end
            while let event = try parser.next(&pending, allocator: ByteBufferAllocator()) {
                switch event {
                case .head(let head): result.head = head
                case .body(let chunk): result.body += String(buffer: chunk)
                case .end:
                    result.ended = true
                    break outer
                }
            }
        }
        result.leftover = pending.readableBytes + bytes.count - offset
        return result
    }

    func testSizedResponseKeepsItsLinesAndDropsHopByHopAndIds() throws {
        let text = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\nX-Request-Id: up\r\n"
            + "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nKeep-Alive: timeout=5\r\nContent-Length: 7\r\n\r\n{\"a\":1}"
        for step in [1, 3, 7, Int.max] {
            let parsed = try parse(text, step: step)
            let head = try XCTUnwrap(parsed.head)
            XCTAssertEqual(head.status, 200)
            XCTAssertEqual(String(buffer: head.statusText), "200 OK")
            XCTAssertEqual(String(buffer: head.lines), "Content-Type: application/json\r\nContent-Length: 7\r\n")
            XCTAssertTrue(head.sized)
            XCTAssertTrue(head.keepAlive)
            XCTAssertEqual(parsed.body, "{\"a\":1}")
            XCTAssertTrue(parsed.ended)
            XCTAssertEqual(parsed.leftover, 0)
        }
    }

    func testChunkedBodyIsDechunkedWithExtensionsAndTrailers() throws {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n5;ext=1\r\nhello\r\n1A\r\n abcdefghijklmnopqrstuvwxy\r\n0\r\nX-Trailer: t\r\n\r\n"
        for step in [1, 2, 5, Int.max] {
            let parsed = try parse(text, step: step)
            let head = try XCTUnwrap(parsed.head)
            XCTAssertFalse(head.sized)
            XCTAssertEqual(head.lines.readableBytes, 0)
            XCTAssertEqual(parsed.body, "hello abcdefghijklmnopqrstuvwxy")
            XCTAssertTrue(parsed.ended)
        }
    }

    func testInterimResponsesAreSkippedAndBodylessOnesEndAtOnce() throws {
        let parsed = try parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n")
        XCTAssertEqual(parsed.head?.status, 204)
        XCTAssertEqual(parsed.head?.lines.readableBytes, 0, "a 204 announces no body")
        XCTAssertTrue(parsed.ended)
        let head = try parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", headRequest: true)
        XCTAssertEqual(head.head?.sized, true)
        XCTAssertEqual(head.body, "")
        XCTAssertTrue(head.ended)
    }

    func testBodyWithoutLengthEndsWithTheConnection() throws {
        var parser = UpstreamResponseParser()
        parser.expect(headRequest: false)
        var buffer = ByteBuffer(string: "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nsome")
        guard case .head(let head) = try parser.next(&buffer, allocator: ByteBufferAllocator()) else { return XCTFail() }
        XCTAssertFalse(head.keepAlive)
        guard case .body(let body) = try parser.next(&buffer, allocator: ByteBufferAllocator()) else { return XCTFail() }
        XCTAssertEqual(String(buffer: body), "some")
        XCTAssertNil(try parser.next(&buffer, allocator: ByteBufferAllocator()))
        XCTAssertTrue(parser.endsWithConnection)
    }

    func testConnectionHeaderDecidesKeepAlive() throws {
        XCTAssertEqual(try parse("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n").head?.keepAlive, false)
        XCTAssertEqual(try parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").head?.keepAlive, true)
        XCTAssertEqual(try parse("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n").head.map { String(buffer: $0.statusText) }, "404")
    }

    func testMalformedResponsesThrow() {
        for text in [
            "HTTP/2 200 OK\r\n\r\n",
            "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nFolded: a\r\n b\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n",
            "HTTP/1.1 200 OK\r\nX-Odd: a\u{1}b\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX-Odd: a\u{7F}\r\nContent-Length: 0\r\n\r\n",
        ] {
            XCTAssertThrowsError(try parse(text), text)
        }
    }
}
