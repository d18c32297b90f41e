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

    private typealias Malformed = UpstreamResponseParser.Malformed

    /// Reads a head (status line to blank line, CRLFs included), copying the lines to relay into
    /// `lines`; returns the length of the status line's text after `HTTP/1.x `.
    mutating func parse(_ bytes: UnsafeRawBufferPointer, keeping lines: inout ByteBuffer) throws -> Int {
        guard bytes.count >= 16, Self.matches(bytes, 0, "http/1."), (48...57).contains(bytes[7]), bytes[8] == 32 else { throw Malformed() }
        let http10 = bytes[7] == UInt8(ascii: "0")
        keepAlive = !http10
        var code = 0
        for index in 9..<12 {
            guard (48...57).contains(bytes[index]) else { throw Malformed() }
            code = code * 10 + Int(bytes[index] - 48)
        }
        status = code
        guard bytes[12] == 32 || bytes[12] == 13 else { throw Malformed() }
        var lineEnd = try Self.lineEnd(bytes, from: 12)
        let statusText = lineEnd - 9
        var start = lineEnd + 2
        var closeAsked = false, keepAliveAsked = false
        while true {
            lineEnd = try Self.lineEnd(bytes, from: start)
            if lineEnd == start { break }   // the blank line
            guard bytes[start] != 32 && bytes[start] != 9 else { throw Malformed() }   // obsolete line folding
            guard let colon = (start..<lineEnd).first(where: { bytes[$0] == UInt8(ascii: ":") }), colon > start,
                  !(start..<colon).contains(where: { bytes[$0] == 32 || bytes[$0] == 9 }) else { throw Malformed() }
            var valueStart = colon + 1, valueEnd = lineEnd
            while valueStart < valueEnd && (bytes[valueStart] == 32 || bytes[valueStart] == 9) { valueStart += 1 }
            while valueEnd > valueStart && (bytes[valueEnd - 1] == 32 || bytes[valueEnd - 1] == 9) { valueEnd -= 1 }
            let value = valueStart..<valueEnd
            var keep = false
            switch colon - start {
            case 2: keep = !Self.matches(bytes, start, "te")
            case 7: keep = !Self.matches(bytes, start, "trailer") && !Self.matches(bytes, start, "upgrade")
            case 10:
                if Self.matches(bytes, start, "connection") {
                    Self.forEachToken(bytes, value) { token in
                        if Self.equals(bytes, token, "close") { closeAsked = true }
                        if Self.equals(bytes, token, "keep-alive") { keepAliveAsked = true }
                    }
                } else {
                    keep = !Self.matches(bytes, start, "keep-alive")
                }
            case 11: keep = !Self.matches(bytes, start, "traceparent")
            case 12: keep = !Self.matches(bytes, start, "x-request-id")
            case 14 where Self.matches(bytes, start, "content-length"):
                let length = try Self.decimal(bytes, value)
                guard contentLength == nil || contentLength == length else { throw Malformed() }
                // A response that has no body (1xx, 204, 304) must not announce one; a HEAD response may.
                if code >= 200 && code != 204 && code != 304 {
                    contentLength = length
                    keep = true
                }
            case 17 where Self.matches(bytes, start, "transfer-encoding"):
                transferEncoded = true
                var last: Range<Int>?
                Self.forEachToken(bytes, value) { last = $0 }
                chunked = last.map { Self.equals(bytes, $0, "chunked") } ?? false
            case 18: keep = !Self.matches(bytes, start, "proxy-authenticate")
            case 19: keep = !Self.matches(bytes, start, "proxy-authorization")
            default: keep = true
            }
            if keep { lines.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start..<(lineEnd + 2)])) }
            start = lineEnd + 2
        }
        if transferEncoded && contentLength != nil { throw Malformed() }
        if closeAsked { keepAlive = false } else if keepAliveAsked { keepAlive = true }
        return statusText
    }

    /// The index of the CR of the CRLF ending the line that starts at `start`.
    private static func lineEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) throws -> Int {
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == 13 {
                guard bytes[index + 1] == 10 else { throw UpstreamResponseParser.Malformed() }
                return index
            }
            guard bytes[index] != 10 else { throw UpstreamResponseParser.Malformed() }
            index += 1
        }
        throw UpstreamResponseParser.Malformed()
    }

    /// Whether the bytes at `start` are `lowercase`, ASCII case-insensitively (`| 0x20` folds
    /// exactly the uppercase letters onto lowercase among header-name characters; dashes,
    /// digits, slashes and dots are unchanged by it).
    private static func matches(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ lowercase: StaticString) -> Bool {
        let count = lowercase.utf8CodeUnitCount
        guard start + count <= bytes.count else { return false }
        return lowercase.withUTF8Buffer { expected in
            for index in 0..<count where bytes[start + index] | 0x20 != expected[index] { return false }
            return true
        }
    }

    private static func equals(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercase: StaticString) -> Bool {
        range.count == lowercase.utf8CodeUnitCount && matches(bytes, range.lowerBound, lowercase)
    }

    /// The comma-separated tokens of a value, trimmed.
    private static func forEachToken(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>, _ body: (Range<Int>) -> Void) {
        var start = value.lowerBound
        while start <= value.upperBound {
            var end = start
            while end < value.upperBound && bytes[end] != UInt8(ascii: ",") { end += 1 }
            var low = start, high = end
            while low < high && (bytes[low] == 32 || bytes[low] == 9) { low += 1 }
            while high > low && (bytes[high - 1] == 32 || bytes[high - 1] == 9) { high -= 1 }
            if low < high { body(low..<high) }
            start = end + 1
        }
    }

    private static func decimal(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>) throws -> Int {
        guard !value.isEmpty, value.count <= 18 else { throw UpstreamResponseParser.Malformed() }
        var result = 0
        for index in value {
            guard (48...57).contains(bytes[index]) else { throw UpstreamResponseParser.Malformed() }
            result = result * 10 + Int(bytes[index] - 48)
        }
        return result
    }
}
