import NIOCore
@testable import OrderPayGateway
import XCTest

/// Where a stopping gateway may end a relayed event stream: only after the blank line that ends
/// an event, whatever the line endings and however the stream was split into reads.
final class EventStreamTailTests: XCTestCase {
    /// Feeds `stream` in pieces of `step` bytes and returns where the first event ends, as
    /// `appendToEventEnd` reports it (an offset into the whole stream), or nil.
    private func firstEventEnd(_ stream: String, step: Int) -> Int? {
        var tail = EventStreamTail()
        let bytes = Array(stream.utf8)
        var offset = 0
        tail.append(ByteBuffer(bytes: bytes.prefix(1)))   // into the first event
        offset = 1
        while offset < bytes.count {
            let piece = ByteBuffer(bytes: bytes[offset..<min(bytes.count, offset + step)])
            if let length = tail.appendToEventEnd(piece) { return offset + length }
            offset += piece.readableBytes
        }
        return nil
    }

    func testTheFirstEventEndsAtItsBlankLineWhateverTheSplit() {
        for (newline, name) in [("\n", "LF"), ("\r\n", "CRLF"), ("\r", "CR")] {
            let first = "id: 1" + newline + "data: {\"a\":1}" + newline + newline
            let stream = first + "id: 2" + newline + "data: {}" + newline + newline
            for step in 1...stream.utf8.count {
                XCTAssertEqual(firstEventEnd(stream, step: step), first.utf8.count, "\(name), pieces of \(step)")
            }
            XCTAssertNil(firstEventEnd("id: 1" + newline + "data: {}" + newline, step: 3), "\(name): no blank line yet")
        }
    }

    func testBeforeAnyBodyAndAfterAWholeEventTheStreamIsBetweenEvents() {
        var tail = EventStreamTail()
        XCTAssertTrue(tail.atEventBoundary)
        tail.append(ByteBuffer(string: "data: x\n"))
        XCTAssertFalse(tail.atEventBoundary)
        tail.append(ByteBuffer(string: "\n"))
        XCTAssertTrue(tail.atEventBoundary)
        tail.append(ByteBuffer(string: ": keepalive\n\n"))
        XCTAssertTrue(tail.atEventBoundary)
        XCTAssertEqual(tail.appendToEventEnd(ByteBuffer(string: "id: 3\n")), 0)
    }
}
