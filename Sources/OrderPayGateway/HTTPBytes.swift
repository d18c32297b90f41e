import NIOCore

/// A message the gateway's own HTTP/1.x parsers (UpstreamResponseParser, ClientRequestParser)
/// refuse: a request gets 400, a service's response drops its connection.
struct MalformedHTTP: Error {
    /// What is wrong, for the answer's detail, when a check knows better than "not well-formed".
    var reason: String?
    init(_ reason: String? = nil) { self.reason = reason }
}

/// A request body in a transfer coding besides chunked (`gzip, chunked`): readable, but the
/// gateway would hand the service bytes it cannot decode, so 501 (RFC 9112 §6.1).
struct UnsupportedTransferCoding: Error {}

/// Byte-level helpers shared by the gateway's HTTP/1.x parsers.
enum HTTPBytes {
    /// Puts the bytes an earlier read left unparsed in front of `buffer`, and forgets them.
    static func prepend(_ unparsed: inout ByteBuffer?, to buffer: inout ByteBuffer) {
        guard var earlier = unparsed else { return }
        unparsed = nil
        earlier.writeBuffer(&buffer)
        buffer = earlier
    }

    /// The length of a head up to and including its blank line, if all of it is in `bytes`;
    /// `scanned` carries how far an earlier call already looked, so a head arriving in pieces
    /// is not searched from its start every time.
    /// A bare LF throws at once (rather than waiting for a CRLF CRLF that may never come).
    static func headLength(_ bytes: UnsafeRawBufferPointer, scanned: inout Int) throws -> Int? {
        var index = max(1, scanned)
        while index < bytes.count {
            if bytes[index] == 10 {
                guard bytes[index - 1] == 13 else { throw MalformedHTTP() }
                if index >= 3 && bytes[index - 2] == 10 && bytes[index - 3] == 13 { return index + 1 }
            }
            index += 1
        }
        scanned = bytes.count
        return nil
    }

    /// The index of the CR of the CRLF ending the line that starts at `start` (a bare LF is refused).
    static func lineEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) throws -> Int {
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == 13 {
                guard bytes[index + 1] == 10 else { throw MalformedHTTP() }
                return index
            }
            guard bytes[index] != 10 else { throw MalformedHTTP() }
            index += 1
        }
        throw MalformedHTTP()
    }

    /// Whether the bytes at `start` are `lowercase`, ASCII case-insensitively (`| 0x20` folds
    /// exactly the uppercase letters onto lowercase among header-name characters; dashes,
    /// digits, slashes and dots are unchanged by it).
    static func matches(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ lowercase: StaticString) -> Bool {
        let count = lowercase.utf8CodeUnitCount
        guard start + count <= bytes.count else { return false }
        return lowercase.withUTF8Buffer { expected in
            for index in 0..<count where bytes[start + index] | 0x20 != expected[index] { return false }
            return true
        }
    }

    static func equals(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercase: StaticString) -> Bool {
        range.count == lowercase.utf8CodeUnitCount && matches(bytes, range.lowerBound, lowercase)
    }

    /// The comma-separated tokens of a value, trimmed.
    static func forEachToken(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>, _ body: (Range<Int>) -> Void) {
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

    /// How many codings a Transfer-Encoding value lists.
    static func tokenCount(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>) -> Int {
        var count = 0
        forEachToken(bytes, value) { _ in count += 1 }
        return count
    }

    /// Whether the last coding of a Transfer-Encoding value is chunked.
    static func endsChunked(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>) -> Bool {
        var last: Range<Int>?
        forEachToken(bytes, value) { last = $0 }
        return last.map { equals(bytes, $0, "chunked") } ?? false
    }

    /// A Content-Length value: digits only.
    static func decimal(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>) throws -> Int {
        guard !value.isEmpty, value.count <= 18 else { throw MalformedHTTP() }
        var result = 0
        for index in value {
            guard (48...57).contains(bytes[index]) else { throw MalformedHTTP() }
            result = result * 10 + Int(bytes[index] - 48)
        }
        return result
    }

    /// A header line's name end (its colon) and trimmed value; a name must be a non-empty token.
    static func field(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ lineEnd: Int) throws -> (colon: Int, value: Range<Int>) {
        var colon = start
        while colon < lineEnd && bytes[colon] != UInt8(ascii: ":") {
            guard isTokenByte(bytes[colon]) else { throw MalformedHTTP() }
            colon += 1
        }
        guard colon > start, colon < lineEnd else { throw MalformedHTTP() }
        var valueStart = colon + 1, valueEnd = lineEnd
        while valueStart < valueEnd && (bytes[valueStart] == 32 || bytes[valueStart] == 9) { valueStart += 1 }
        while valueEnd > valueStart && (bytes[valueEnd - 1] == 32 || bytes[valueEnd - 1] == 9) { valueEnd -= 1 }
        return (colon, valueStart..<valueEnd)
    }

    /// RFC 9110 tchar: the characters of methods and header names.
    static func isTokenByte(_ byte: UInt8) -> Bool { tokenBytes[Int(byte)] }

    private static let tokenBytes: [Bool] = (0..<256).map { byte in
        switch UInt8(byte) {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): return true
        default: return "!#$%&'*+-.^_`|~".utf8.contains(UInt8(byte))
        }
    }
}

/// A chunked body (RFC 9112 §7.1) read off a buffer: the data of each chunk as slices of what
/// was read, extensions ignored, trailer fields dropped.
struct ChunkedDecoder {
    enum Piece {
        case data(ByteBuffer)
        case end
    }

    private enum Step { case size, data(Int), dataEnd, trailer, done }
    private var step = Step.size

    /// The next piece, consuming it; nil when more bytes are needed.
    mutating func next(_ buffer: inout ByteBuffer) throws -> Piece? {
        while true {
            switch step {
            case .size:
                guard let line = try Self.readLine(&buffer) else { return nil }
                let size = try Self.chunkSize(line)
                step = size == 0 ? .trailer : .data(size)
            case .data(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let count = min(remaining, buffer.readableBytes)
                step = count == remaining ? .dataEnd : .data(remaining - count)
                return .data(buffer.readSlice(length: count)!)
            case .dataEnd:
                guard buffer.readableBytes >= 2 else { return nil }
                guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw MalformedHTTP() }
                step = .size
            case .trailer:
                guard let line = try Self.readLine(&buffer) else { return nil }
                if line.readableBytes == 0 {
                    step = .done
                    return .end
                }
            case .done:
                return nil
            }
        }
    }

    /// One CRLF-terminated line, without its CRLF.
    private static func readLine(_ buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > 4096 { throw MalformedHTTP() }
            return nil
        }
        let length = newline - buffer.readerIndex
        guard length > 0, buffer.getInteger(at: newline - 1, as: UInt8.self) == UInt8(ascii: "\r") else { throw MalformedHTTP() }
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
                guard digits > 0 else { throw MalformedHTTP() }
                return size
            default: throw MalformedHTTP()
            }
            guard digits < 15 else { throw MalformedHTTP() }
            size = size << 4 | value
            digits += 1
        }
        guard digits > 0 else { throw MalformedHTTP() }
        return size
    }
}
