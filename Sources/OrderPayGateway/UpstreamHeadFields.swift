import NIOCore

/// What `UpstreamResponseParser` needs to know from a response head, read straight from its
/// bytes: the status, the framing, whether the connection stays open. The lines to relay are
/// copied out as they are; the rest (hop-by-hop headers, framing, this hop's ids) stay behind.
struct HeadFields {
    private(set) var status = 0
    private(set) var contentLength: Int?
    private(set) var transferEncoded = false
    private(set) var chunked = false
    private(set) var keepAlive = true
    /// `Content-Type: text/event-stream`: a response that never ends by itself.
    private(set) var eventStream = false

    private typealias Malformed = MalformedHTTP

    /// Reads a head (status line to blank line, CRLFs included), copying the lines to relay into
    /// `lines`; returns the length of the status line's text after `HTTP/1.x `.
    mutating func parse(_ bytes: UnsafeRawBufferPointer, keeping lines: inout ByteBuffer) throws -> Int {
        guard bytes.count >= 16, HTTPBytes.matches(bytes, 0, "http/1."), (48...57).contains(bytes[7]), bytes[8] == 32 else { throw Malformed() }
        let http10 = bytes[7] == UInt8(ascii: "0")
        keepAlive = !http10
        var code = 0
        for index in 9..<12 {
            guard (48...57).contains(bytes[index]) else { throw Malformed() }
            code = code * 10 + Int(bytes[index] - 48)
        }
        // Only 100–599 are statuses (RFC 9110 §15); `000` is no interim response to skip.
        guard (100...599).contains(code) else { throw Malformed("an invalid status code \(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[9..<12]), as: UTF8.self))") }
        status = code
        guard bytes[12] == 32 || bytes[12] == 13 else { throw Malformed() }
        var lineEnd = try HTTPBytes.lineEnd(bytes, from: 12)
        let statusText = lineEnd - 9
        var start = lineEnd + 2
        var closeAsked = false, keepAliveAsked = false
        // Other headers the Connection header names: hop-by-hop too (RFC 9110 §7.6.1).
        var nominated: [Range<Int>] = []
        while true {
            lineEnd = try HTTPBytes.lineEnd(bytes, from: start)
            if lineEnd == start { break }   // the blank line
            guard bytes[start] != 32 && bytes[start] != 9 else { throw Malformed() }   // obsolete line folding
            let (colon, value) = try HTTPBytes.field(bytes, start, lineEnd)
            // Relayed as they are, so held to the rule client requests are: no control characters.
            for position in value where bytes[position] < 0x20 && bytes[position] != 9 || bytes[position] == 0x7F { throw Malformed() }
            var keep = false
            switch colon - start {
            case 2: keep = !HTTPBytes.matches(bytes, start, "te")
            case 7: keep = !HTTPBytes.matches(bytes, start, "trailer") && !HTTPBytes.matches(bytes, start, "upgrade")
            case 10:
                if HTTPBytes.matches(bytes, start, "connection") {
                    HTTPBytes.forEachToken(bytes, value) { token in
                        if HTTPBytes.equals(bytes, token, "close") { closeAsked = true }
                        else if HTTPBytes.equals(bytes, token, "keep-alive") { keepAliveAsked = true }
                        else if !token.isEmpty { nominated.append(token) }
                    }
                } else {
                    keep = !HTTPBytes.matches(bytes, start, "keep-alive")
                }
            case 11: keep = !HTTPBytes.matches(bytes, start, "traceparent")
            case 12 where HTTPBytes.matches(bytes, start, "content-type"):
                keep = true
                eventStream = HTTPBytes.matches(bytes, value.lowerBound, "text/event-stream")
            case 12: keep = !HTTPBytes.matches(bytes, start, "x-request-id")
            case 14 where HTTPBytes.matches(bytes, start, "content-length"):
                let length = try HTTPBytes.decimal(bytes, value)
                guard contentLength == nil || contentLength == length else { throw Malformed() }
                // A response that has no body (1xx, 204, 304) must not announce one; a HEAD response may.
                if code >= 200 && code != 204 && code != 304 {
                    contentLength = length
                    keep = true
                }
            case 17 where HTTPBytes.matches(bytes, start, "transfer-encoding"):
                transferEncoded = true
                chunked = HTTPBytes.endsChunked(bytes, value)
            case 18: keep = !HTTPBytes.matches(bytes, start, "proxy-authenticate")
            case 19: keep = !HTTPBytes.matches(bytes, start, "proxy-authorization")
            default: keep = true
            }
            if keep { lines.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start..<(lineEnd + 2)])) }
            start = lineEnd + 2
        }
        if transferEncoded && contentLength != nil { throw Malformed() }
        if closeAsked { keepAlive = false } else if keepAliveAsked { keepAlive = true }
        if !nominated.isEmpty { lines = Self.dropping(nominated, named: bytes, from: lines) }
        return statusText
    }

    /// `lines` without those whose name is one of `names` (ranges of `head`), but for
    /// Content-Length, which frames the body the gateway relays. Only when a Connection header
    /// names something besides close and keep-alive, which is rare: the lines to keep are not
    /// known before that header, which may come last, so they are filtered afterwards.
    private static func dropping(_ names: [Range<Int>], named head: UnsafeRawBufferPointer, from lines: ByteBuffer) -> ByteBuffer {
        var kept = ByteBufferAllocator().buffer(capacity: lines.readableBytes)
        lines.withUnsafeReadableBytes { text in
            var start = 0
            while start < text.count {
                var colon = start, end = start
                while text[colon] != UInt8(ascii: ":") { colon += 1 }
                while text[end] != 10 { end += 1 }   // each line was copied with its CRLF
                let length = colon - start
                let named = names.contains { name in
                    name.count == length && (0..<length).allSatisfy { head[name.lowerBound + $0] | 0x20 == text[start + $0] | 0x20 }
                }
                if !named || (length == 14 && HTTPBytes.matches(text, start, "content-length")) {
                    kept.writeBytes(UnsafeRawBufferPointer(rebasing: text[start...end]))
                }
                start = end + 1
            }
        }
        return kept
    }
}
