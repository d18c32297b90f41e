import NIOCore
import NIOHTTP1

/// HTTP/1.x response bytes for the client connection, written by the gateway itself instead of
/// NIO's HTTPResponseEncoder: a relayed head goes from the service's header lines straight into
/// the output buffer (no HTTPHeaders in between, no encoder pass over it, no boxed response part
/// per write). It also strips the hop-by-hop headers and adds this hop's ids on the way.
struct ResponseEncoding {
    /// How the body is delimited on the wire.
    enum Framing { case none, sized, chunked, untilClose }

    private(set) var framing = Framing.none

    /// The status line and headers of the gateway's own response, with this hop's X-Request-Id
    /// and traceparent, and the framing and connection headers the client needs.
    /// - Parameter keepAlive: whether the client keeps the connection; set to false when the
    ///   body can only end with the connection (an HTTP/1.0 client and a body of unknown length).
    mutating func head(_ status: HTTPResponseStatus, headers: HTTPHeaders, for request: IncomingRequest,
                       keepAlive: inout Bool, into buffer: inout ByteBuffer) {
        statusLine(for: request, into: &buffer)
        buffer.writeString(String(status.code))
        buffer.writeStaticString(" ")
        buffer.writeString(status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        var sized = false
        for (name, value) in headers {
            if HeaderName.isHopByHop(name) { continue }
            switch name.utf8.count {
            case 11 where HeaderName.equals(name, "traceparent"), 12 where HeaderName.equals(name, "x-request-id"):
                continue
            case 14 where HeaderName.equals(name, "content-length"):
                if Self.hasNoBody(Int(status.code)) { continue }
                sized = true
            default:
                break
            }
            Self.write(name, value, into: &buffer)
        }
        finishHead(status: Int(status.code), sized: sized, for: request, keepAlive: &keepAlive, into: &buffer)
    }

    /// The same for a service's response: its status text and the header lines
    /// `UpstreamResponseParser` kept go out as they came in (it already left out the hop-by-hop
    /// headers, the framing and the service's ids).
    mutating func head(relaying upstream: UpstreamHead, for request: IncomingRequest,
                       keepAlive: inout Bool, into buffer: inout ByteBuffer) {
        statusLine(for: request, into: &buffer)
        buffer.writeImmutableBuffer(upstream.statusText)
        buffer.writeStaticString("\r\n")
        buffer.writeImmutableBuffer(upstream.lines)
        finishHead(status: upstream.status, sized: upstream.sized, for: request, keepAlive: &keepAlive, into: &buffer)
    }

    private func statusLine(for request: IncomingRequest, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(request.head.version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
    }

    /// A response that must not announce a body (1xx, 204, 304); a HEAD response may.
    private static func hasNoBody(_ status: Int) -> Bool { status < 200 || status == 204 || status == 304 }

    /// This hop's ids, the framing, the connection header and the blank line.
    private mutating func finishHead(status: Int, sized: Bool, for request: IncomingRequest,
                                     keepAlive: inout Bool, into buffer: inout ByteBuffer) {
        let version = request.head.version
        Self.write(TraceHeaders.requestIdName, request.trace.requestId, into: &buffer)
        Self.write(TraceHeaders.traceparentName, request.trace.traceparent, into: &buffer)
        if request.head.method == .HEAD || Self.hasNoBody(status) {
            framing = .none
        } else if sized {
            framing = .sized
        } else if version.minor >= 1 {
            framing = .chunked
            buffer.writeStaticString("Transfer-Encoding: chunked\r\n")
        } else {
            framing = .untilClose
            keepAlive = false
        }
        if !keepAlive {
            buffer.writeStaticString("Connection: close\r\n")
        } else if version.minor == 0 {
            // An HTTP/1.0 client keeps the connection only when told so.
            buffer.writeStaticString("Connection: keep-alive\r\n")
        }
        buffer.writeStaticString("\r\n")
    }

    /// `chunk` as it goes on the wire: as is, in chunked framing, or not at all (a HEAD response).
    func body(_ chunk: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer? {
        switch framing {
        case .none: return nil
        case .sized, .untilClose: return chunk
        case .chunked:
            guard chunk.readableBytes > 0 else { return nil }
            var framed = allocator.buffer(capacity: chunk.readableBytes + 12)
            framed.writeString(String(chunk.readableBytes, radix: 16))
            framed.writeStaticString("\r\n")
            framed.writeImmutableBuffer(chunk)
            framed.writeStaticString("\r\n")
            return framed
        }
    }

    /// The bytes that end the body, if its framing has any.
    var end: StaticString? { framing == .chunked ? "0\r\n\r\n" : nil }

    /// Whether the body may end before the service's does and still end properly: not a sized
    /// one (the client would see it cut short).
    var canEndEarly: Bool { framing != .sized }

    private static func write(_ name: String, _ value: String, into buffer: inout ByteBuffer) {
        buffer.writeString(name)
        buffer.writeStaticString(": ")
        buffer.writeString(value)
        buffer.writeStaticString("\r\n")
    }
}
