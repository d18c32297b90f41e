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
    /// Whether the body is a server-sent event stream, which only ends when a side hangs up.
    let eventStream: Bool
}

/// Reads HTTP/1.x responses off an upstream connection, one request at a time, in place of NIO's
/// HTTPResponseDecoder: the head is split into lines and classified by name (framing, connection,
/// ids, hop-by-hop) without building strings, and the body comes out as slices of what was read
/// (de-chunked when chunked; `ResponseEncoding` frames it again for the client). Interim 1xx
/// heads other than 101 are skipped. Anything malformed throws (the connection is then dropped
/// and the client gets 502), as does a 101: the gateway does not relay protocol upgrades (it
/// never forwards an Upgrade request), so a switch it has not asked for cannot be followed.
struct UpstreamResponseParser {
    enum Event {
        case head(UpstreamHead)
        case body(ByteBuffer)
        case end
    }

    private enum State { case head, sized(Int), chunked(ChunkedDecoder), untilClose, ended }

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
            case .chunked(var decoder):
                let piece = try decoder.next(&buffer)
                switch piece {
                case .data(let data):
                    state = .chunked(decoder)
                    return .body(data)
                case .end:
                    state = .ended
                    return .end
                case nil:
                    state = .chunked(decoder)
                    return nil
                }
            }
        }
    }

    /// A whole head from `buffer` (consumed), `.some(nil)` for a skipped interim one, nil when
    /// its end has not arrived yet.
    private mutating func parseHead(_ buffer: inout ByteBuffer, allocator: ByteBufferAllocator) throws -> UpstreamHead?? {
        guard let length = try buffer.withUnsafeReadableBytes({ try HTTPBytes.headLength($0, scanned: &scanned) }) else {
            if buffer.readableBytes > Self.maxHeadSize { throw MalformedHTTP("a response head over \(Self.maxHeadSize >> 10) KB") }
            return nil
        }
        scanned = 0
        // The same limit when the whole head came in one read: it is the head's size that counts.
        guard length <= Self.maxHeadSize else { throw MalformedHTTP("a response head over \(Self.maxHeadSize >> 10) KB") }
        let block = buffer.readSlice(length: length)!
        var head = HeadFields()
        var lines = allocator.buffer(capacity: length)
        let statusText = try block.withUnsafeReadableBytes { bytes in
            try head.parse(bytes, keeping: &lines)
        }
        let status = head.status
        if status == 101 { throw MalformedHTTP("101 Switching Protocols, but the gateway does not support protocol upgrades") }
        if status < 200 { return .some(nil) }
        let bodyless = headRequest || status < 200 || status == 204 || status == 304
        var keepAlive = head.keepAlive && status != 101
        if bodyless {
            state = .sized(0)
        } else if head.chunked {
            state = .chunked(ChunkedDecoder())
        } else if let length = head.contentLength {
            state = .sized(length)
        } else {
            state = .untilClose
            keepAlive = false
        }
        return .some(UpstreamHead(status: status, statusText: block.getSlice(at: block.readerIndex + 9, length: statusText)!,
                                  lines: lines, sized: head.contentLength != nil, keepAlive: keepAlive,
                                  eventStream: head.eventStream))
    }
}
