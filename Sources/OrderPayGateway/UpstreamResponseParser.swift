import NIOCore

/// A service's response head as the gateway relays it: not decoded into an HTTPResponseHead
/// (a String per header name and value, then an HTTPHeaders walk to encode them again), but
/// classified once and the lines to keep copied through as they arrived.
struct UpstreamHead {
    let status: Int
    /// The status line after the version (`200 OK`), as the service sent it.
    let statusText: ByteBuffer
    /// The header lines to relay, each with its CRLF: all but the hop-by-hop headers,
    /// Transfer-Encoding, and the X-Request-Id and traceparent this hop replaces.
    let lines: ByteBuffer
    /// Whether `lines` carries the body's Content-Length.
    let sized: Bool
    /// Whether the connection may carry another request after this response.
    let keepAlive: Bool
}

/// Reads HTTP/1.x responses off an upstream connection, one request at a time, in place of NIO's
/// HTTPResponseDecoder: the head is split into lines and classified by name (framing, connection,
/// ids, hop-by-hop) without building strings, and the body comes out as slices of what was read
/// (de-chunked when chunked; `ResponseEncoding` frames it again for the client). Interim 1xx
/// heads other than 101 are skipped. Anything malformed throws: the connection is then dropped.
struct UpstreamResponseParser {
    enum Event {
        case head(UpstreamHead)
        case body(ByteBuffer)
        case end
    }

    struct Malformed: Error {}

    private enum ChunkStep { case size, data(Int), dataEnd, trailer }
    private enum State { case head, sized(Int), chunked(ChunkStep), untilClose, ended }

    /// A head this large without its end is not a response the gateway relays.
    static let maxHeadSize = 64 << 10

    private var state = State.ended
    private var headRequest = false
    /// How far the current head has been searched for its end already.
    private var scanned = 0

    /// Ready for the response to a request with this method (a response to HEAD has no body).
    mutating func expect(headRequest: Bool) {
        state = .head
        self.headRequest = headRequest
        scanned = 0
    }

    /// Whether the connection's end is the end of the body (no length was given).
    var endsWithConnection: Bool {
        if case .untilClose = state { return true }
        return false
    }

    /// The next thing `buffer` holds, consuming it; nil when more bytes are needed.
    mutating func next(_ buffer: inout ByteBuffer, allocator: ByteBufferAllocator) throws -> Event? {
        while true {
            switch state {
            case .ended:
                return nil
            case .head:
                guard let head = try parseHead(&buffer, allocator: allocator) else { return nil }
                if let head { return .head(head) }
                // An interim response, skipped: the final head follows.
            case .sized(let remaining):
                if remaining == 0 {
                    state = .ended
                    return .end
                }
                guard buffer.readableBytes > 0 else { return nil }
                let count = min(remaining, buffer.readableBytes)
                state = .sized(remaining - count)
                return .body(buffer.readSlice(length: count)!)
            case .untilClose:
                guard buffer.readableBytes > 0 else { return nil }
                return .body(buffer.readSlice(length: buffer.readableBytes)!)
            case .chunked(let step):
                switch step {
                case .size:
                    guard let line = try readLine(&buffer) else { return nil }
                    let size = try Self.chunkSize(line)
                    state = .chunked(size == 0 ? .trailer : .data(size))
                case .data(let remaining):
                    guard buffer.readableBytes > 0 else { return nil }
                    let count = min(remaining, buffer.readableBytes)
                    state = .chunked(count == remaining ? .dataEnd : .data(remaining - count))
                    return .body(buffer.readSlice(length: count)!)
                case .dataEnd:
                    guard buffer.readableBytes >= 2 else { return nil }
                    guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw Malformed() }
                    state = .chunked(.size)
                case .trailer:
                    // Trailer fields are dropped (the client's chunked end carries none).
                    guard let line = try readLine(&buffer) else { return nil }
                    if line.readableBytes == 0 {
                        state = .ended
                        return .end
                    }
                }
            }
        }
    }

    /// One CRLF-terminated line, without its CRLF.
    private func readLine(_ buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > 4096 { throw Malformed() }
            return nil
        }
        let length = newline - buffer.readerIndex
        guard length > 0, buffer.getInteger(at: newline - 1, as: UInt8.self) == UInt8(ascii: "\r") else { throw Malformed() }
        let line = buffer.readSlice(length: length - 1)!
        buffer.moveReaderIndex(forwardBy: 2)
        return line
    }

    /// The hex size in front of a chunk, extensions ignored.
    static func chunkSize(_ line: ByteBuffer) throws -> Int {
        var size = 0
        var digits = 0
        for byte in line.readableBytesView {
            let value: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte - UInt8(ascii: "A") + 10)
            case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                guard digits > 0 else { throw Malformed() }
                return size
            default: throw Malformed()
            }
            guard digits < 15 else { throw Malformed() }
            size = size << 4 | value
            digits += 1
        }
        guard digits > 0 else { throw Malformed() }
        return size
    }

    /// A whole head from `buffer` (consumed), `.some(nil)` for a skipped interim one, nil when
    /// its end has not arrived yet.
    private mutating func parseHead(_ buffer: inout ByteBuffer, allocator: ByteBufferAllocator) throws -> UpstreamHead?? {
        guard let length = headLength(buffer) else {
            if buffer.readableBytes > Self.maxHeadSize { throw Malformed() }
            return nil
        }
        scanned = 0
        let block = buffer.readSlice(length: length)!
        var head = HeadFields()
        var lines = allocator.buffer(capacity: length)
        let statusText = try block.withUnsafeReadableBytes { bytes in
            try head.parse(bytes, keeping: &lines)
        }
        let status = head.status
        if status < 200 && status != 101 { return .some(nil) }
        if head.chunked && head.contentLength != nil { throw Malformed() }
        let bodyless = headRequest || status < 200 || status == 204 || status == 304
        var keepAlive = head.keepAlive && status != 101
        if bodyless {
            state = .sized(0)
        } else if head.chunked {
            state = .chunked(.size)
        } else if let length = head.contentLength {
            state = .sized(length)
        } else {
            state = .untilClose
            keepAlive = false
        }
        return .some(UpstreamHead(status: status, statusText: block.getSlice(at: block.readerIndex + 9, length: statusText)!,
                                  lines: lines, sized: head.contentLength != nil, keepAlive: keepAlive))
    }

    /// The length of the head up to and including its blank line, if it has all arrived.
    private mutating func headLength(_ buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { bytes in
            var index = max(3, scanned)
            while index < bytes.count {
                // Step by the last byte of a possible "\r\n\r\n".
                if bytes[index] == UInt8(ascii: "\n") {
                    if bytes[index - 1] == UInt8(ascii: "\r") && bytes[index - 2] == UInt8(ascii: "\n") && bytes[index - 3] == UInt8(ascii: "\r") {
                        return index + 1
                    }
                }
                index += 1
            }
            scanned = max(3, bytes.count)
            return nil
        }
    }
}
