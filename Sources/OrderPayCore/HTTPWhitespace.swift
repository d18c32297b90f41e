/// Trimming of HTTP's optional whitespace (space and horizontal tab, RFC 9110 §5.6.3), in plain
/// Swift. Foundation's `trimmingCharacters(in:)` goes through NSString on Linux (a UTF-16 copy
/// and a substring): on a service's GET it was a tenth of the CPU, spent on the bearer token and
/// the traceparent of every request.
extension StringProtocol {
    public func trimmingHTTPWhitespace() -> Substring {
        let text = Substring(self)
        let utf8 = text.utf8
        guard let first = utf8.firstIndex(where: { !Self.isHTTPWhitespace($0) }) else { return "" }
        // Past the last byte that is not whitespace: the end of a whole character, even when
        // that byte ends a multi-byte one.
        let end = utf8.index(after: utf8.lastIndex(where: { !Self.isHTTPWhitespace($0) })!)
        return text[first..<end]
    }

    /// Whether the text is `other` apart from ASCII letter case (HTTP's tokens, such as an
    /// authorization scheme, are case-insensitive), without lowercasing a copy.
    public func equalsIgnoringASCIICase(_ other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        return zip(utf8, other.utf8).allSatisfy { Self.lowercasedASCII($0) == Self.lowercasedASCII($1) }
    }

    private static func isHTTPWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    private static func lowercasedASCII(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
    }
}
