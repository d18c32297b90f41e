import NIOCore
import NIOHTTP1

/// Reads HTTP/1.x requests off a client connection, in place of NIO's HTTPRequestDecoder in a
/// ByteToMessageHandler: in profiles, llhttp's callbacks, the extra pipeline step and a boxed
/// request part per event cost more than the gateway's own work on a request. It yields the same
/// parts (a head with HTTPHeaders, body slices of what was read, the end) to the connection
/// handler directly.
///
/// Strict where laxness lets requests be smuggled or misread: CRLF line ends only, no line
/// folding, header names must be tokens and values free of control characters, Content-Length
/// digits only and never two different ones, Transfer-Encoding only when it ends in chunked and
/// never together with Content-Length; the version `HTTP/1.0` or `HTTP/1.1`, in capitals (it is
/// case-sensitive, RFC 9112 §2.3); exactly one Host in an HTTP/1.1 request and at most one in an
/// HTTP/1.0 one (RFC 9112 §3.2), as the services require: a request they would refuse is refused
/// here with a problem document, not relayed for a bare 400 back. Anything else throws
/// `MalformedHTTP` (400, then close);
/// a coding besides chunked, `UnsupportedTransferCoding` (501). A request-target in absolute
/// form (`http://host/path`, as a client speaking to a proxy sends it) is read as its path.
struct ClientRequestParser {
    private enum State { case head, sized(Int), chunked(ChunkedDecoder) }

    /// NIO's default limit for a request head.
    static let maxHeadSize = 80 << 10
    /// Header lines per request: well beyond any real client, and under what the services'
    /// HTTP decoder takes (it refuses about a thousand with a bare 400 the gateway would relay).
    static let maxHeaderFields = 256

    private var state = State.head

    /// The Content-Length of the request whose head was just returned (nil for none or a chunked
    /// body), as its framing already holds it: no second look through the headers.
    var declaredBodyLength: Int? {
        if case .sized(let length) = state, length > 0 { return length }
        return nil
    }
    /// Whether a body follows the head just returned (a Content-Length over 0, or chunked).
    var expectsBody: Bool {
        switch state {
        case .head: return false
        case .sized(let length): return length > 0
        case .chunked: return true
        }
    }
    /// How far the current head has been searched for its end already.
    private var scanned = 0

    /// The next part `buffer` holds, consuming it; nil when more bytes are needed.
    mutating func next(_ buffer: inout ByteBuffer) throws -> HTTPServerRequestPart? {
        switch state {
        case .head:
            // Empty lines before a request line are ignored (RFC 9112 §2.2): some clients send a
            // CRLF after a body.
            while scanned == 0, buffer.readableBytes >= 2, buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x0D0A {
                buffer.moveReaderIndex(forwardBy: 2)
            }
            if scanned == 0, buffer.readableBytes == 1, buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == 13 { return nil }
            guard let length = try buffer.withUnsafeReadableBytes({ try HTTPBytes.headLength($0, scanned: &scanned) }) else {
                if buffer.readableBytes > Self.maxHeadSize { throw MalformedHTTP() }
                return nil
            }
            scanned = 0
            // The same limit when the whole head came in one read: it is the head's size that counts.
            guard length <= Self.maxHeadSize else { throw MalformedHTTP() }
            let (head, framing) = try buffer.readSlice(length: length)!.withUnsafeReadableBytes(Self.parseHead)
            state = framing
            return .head(head)
        case .sized(let remaining):
            if remaining == 0 {
                state = .head
                return .end(nil)
            }
            guard buffer.readableBytes > 0 else { return nil }
            let count = min(remaining, buffer.readableBytes)
            state = .sized(remaining - count)
            return .body(buffer.readSlice(length: count)!)
        case .chunked(var decoder):
            switch try decoder.next(&buffer) {
            case .data(let data):
                state = .chunked(decoder)
                return .body(data)
            case .end:
                state = .head
                return .end(nil)
            case nil:
                state = .chunked(decoder)
                return nil
            }
        }
    }

    /// The request line and header fields, and how the body is framed.
    private static func parseHead(_ bytes: UnsafeRawBufferPointer) throws -> (HTTPRequestHead, State) {
        // Request line: method SP request-target SP HTTP/1.x CRLF.
        let lineEnd = try HTTPBytes.lineEnd(bytes, from: 0)
        var index = 0
        while index < lineEnd && bytes[index] != 32 {
            guard HTTPBytes.isTokenByte(bytes[index]) else { throw MalformedHTTP() }
            index += 1
        }
        let methodEnd = index
        guard methodEnd > 0, methodEnd < lineEnd else { throw MalformedHTTP() }
        index += 1
        let targetStart = index
        while index < lineEnd && bytes[index] != 32 {
            guard (0x21...0x7E).contains(bytes[index]) else { throw MalformedHTTP() }
            index += 1
        }
        let targetEnd = index
        guard targetEnd > targetStart, lineEnd - targetEnd == 9 else { throw MalformedHTTP() }
        guard Self.isVersion(bytes, at: targetEnd + 1) else {
            throw MalformedHTTP("the HTTP version must be HTTP/1.1 or HTTP/1.0, in capitals")
        }
        let version = bytes[lineEnd - 1] == UInt8(ascii: "1") ? HTTPVersion.http1_1 : HTTPVersion.http1_0
        let method = HTTPMethod(rawValue: string(bytes, 0..<methodEnd))
        let uri = Self.originForm(string(bytes, targetStart..<targetEnd))
        // Origin-form, or `*` for OPTIONS (RFC 9112 §3.2): `GET health` was a 404 "no route for
        // health", as if a good request had asked for a missing thing.
        guard uri.hasPrefix("/") || (uri == "*" && method == .OPTIONS) else {
            throw MalformedHTTP("the request target must be a path starting with / (or an absolute http(s) URL; * only for OPTIONS)")
        }

        var fields: [(String, String)] = []
        fields.reserveCapacity(8)
        var contentLength: Int?
        var transferEncoded = false
        var hosts = 0
        var start = lineEnd + 2
        while true {
            let end = try HTTPBytes.lineEnd(bytes, from: start)
            if end == start { break }   // the blank line
            guard bytes[start] != 32 && bytes[start] != 9 else { throw MalformedHTTP() }   // obsolete line folding
            let (colon, value) = try HTTPBytes.field(bytes, start, end)
            for position in value where bytes[position] < 0x20 && bytes[position] != 9 || bytes[position] == 0x7F {
                throw MalformedHTTP()
            }
            switch colon - start {
            case 4 where HTTPBytes.matches(bytes, start, "host"):
                hosts += 1
            case 14 where HTTPBytes.matches(bytes, start, "content-length"):
                let length = try HTTPBytes.decimal(bytes, value)
                guard contentLength == nil || contentLength == length else { throw MalformedHTTP() }
                contentLength = length
            case 17 where HTTPBytes.matches(bytes, start, "transfer-encoding"):
                // A request whose last coding is not chunked has no knowable end (RFC 9112 §6.3).
                guard !transferEncoded, HTTPBytes.endsChunked(bytes, value) else { throw MalformedHTTP() }
                guard HTTPBytes.tokenCount(bytes, value) == 1 else { throw UnsupportedTransferCoding() }
                transferEncoded = true
            default:
                break
            }
            guard fields.count < Self.maxHeaderFields else { throw MalformedHTTP() }
            fields.append((string(bytes, start..<colon), string(bytes, value)))
            start = end + 2
        }
        if transferEncoded && contentLength != nil { throw MalformedHTTP() }
        if hosts > 1 { throw MalformedHTTP("more than one Host header") }
        if hosts == 0 && version == .http1_1 { throw MalformedHTTP("an HTTP/1.1 request needs a Host header") }
        let head = HTTPRequestHead(version: version, method: method, uri: uri, headers: HTTPHeaders(fields))
        if transferEncoded { return (head, .chunked(ChunkedDecoder())) }
        return (head, .sized(contentLength ?? 0))
    }

    /// `HTTP/1.0` or `HTTP/1.1` at `start`, byte for byte.
    private static func isVersion(_ bytes: UnsafeRawBufferPointer, at start: Int) -> Bool {
        guard start + 8 <= bytes.count else { return false }
        for (offset, byte) in "HTTP/1.".utf8.enumerated() where bytes[start + offset] != byte { return false }
        return bytes[start + 7] == UInt8(ascii: "0") || bytes[start + 7] == UInt8(ascii: "1")
    }

    /// `http://host:port/path?query` as `/path?query` (RFC 9112 §3.2.2: a server must accept the
    /// absolute form; the gateway routes by path alone). Anything else is left as it is.
    static func originForm(_ target: String) -> String {
        guard target.utf8.first != UInt8(ascii: "/") else { return target }
        let lowered = target.lowercased()
        guard let scheme = ["http://", "https://"].first(where: { lowered.hasPrefix($0) }) else { return target }
        let rest = target.dropFirst(scheme.count)
        guard let pathStart = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
        let origin = rest[pathStart...]
        return origin.first == "?" ? "/" + origin : String(origin)
    }

    private static func string(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
