import Foundation
import NIOHTTP1

/// X-Request-Id and W3C traceparent: propagated when valid, generated when absent.
public struct TraceHeaders: Sendable {
    public static let requestIdName = "X-Request-Id"
    public static let traceparentName = "traceparent"

    public let requestId: String
    public let traceparent: String

    public var traceId: String { String(traceparent.split(separator: "-")[1]) }

    /// This hop's ids for a request that came with these headers.
    public init(_ headers: HTTPHeaders) {
        self.init(requestId: headers.first(name: Self.requestIdName), traceparent: headers.first(name: Self.traceparentName))
    }

    /// - Parameters:
    ///   - requestId: the incoming X-Request-Id, kept when it is 1–200 characters.
    ///   - traceparent: the incoming traceparent, continued (same trace, new span) when valid.
    public init(requestId incoming: String?, traceparent parent: String?) {
        requestId = incoming.flatMap { $0.count <= 200 && !$0.isEmpty ? $0 : nil } ?? Self.randomHex(16)
        if let parent, Self.isValid(parent) {
            // Same trace, a new span for this hop.
            let parts = parent.split(separator: "-")
            traceparent = "00-\(parts[1])-\(Self.randomHex(8))-\(parts[3])"
        } else {
            traceparent = Self.newTraceparent()
        }
    }

    /// `00-<trace id>-<span id>-01` written in place (every request without a traceparent, such
    /// as all of the benchmark's, makes one: no interpolation growing a string piece by piece).
    static func newTraceparent() -> String {
        String(unsafeUninitializedCapacity: 55) { text in
            let dash = UInt8(ascii: "-"), zero = UInt8(ascii: "0")
            text[0] = zero; text[1] = zero; text[2] = dash
            writeHex(words: 2, into: text, at: 3)
            text[35] = dash
            writeHex(words: 1, into: text, at: 36)
            text[52] = dash; text[53] = zero; text[54] = UInt8(ascii: "1")
            return 55
        }
    }

    /// `version-traceid-spanid-flags`, lowercase hex, the trace id not all zeros (a byte loop:
    /// a regular expression per request cost more than the rest of this type together).
    static func isValid(_ value: String) -> Bool {
        if let valid = value.utf8.withContiguousStorageIfAvailable(isValid) { return valid }
        return Array(value.utf8).withUnsafeBufferPointer(isValid)
    }

    private static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == 55, bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"), bytes[52] == UInt8(ascii: "-") else { return false }
        var traceIdIsZero = true
        for index in 0..<55 where index != 2 && index != 35 && index != 52 {
            let byte = bytes[index]
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte) else { return false }
            if (3..<35).contains(index) && byte != UInt8(ascii: "0") { traceIdIsZero = false }
        }
        return !traceIdIsZero
    }

    private static let digits = Array("0123456789abcdef".utf8)

    /// On every proxied request: a byte loop, not String(format:) per byte.
    static func randomHex(_ bytes: Int) -> String {
        // Written into the string's own storage: no intermediate array.
        String(unsafeUninitializedCapacity: bytes * 2) { text in
            var word: UInt64 = 0
            for index in 0..<bytes {
                if index % 8 == 0 { word = IDRandom.shared.next() }
                let byte = UInt8(truncatingIfNeeded: word >> (8 * UInt64(index % 8)))
                text[2 * index] = digits[Int(byte >> 4)]
                text[2 * index + 1] = digits[Int(byte & 0xF)]
            }
            return bytes * 2
        }
    }

    /// 16 hex digits per random word, from `offset` on.
    private static func writeHex(words: Int, into text: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        var position = offset
        for _ in 0..<words {
            var word = IDRandom.shared.next()
            for _ in 0..<8 {
                let byte = UInt8(truncatingIfNeeded: word)
                word >>= 8
                text[position] = digits[Int(byte >> 4)]
                text[position + 1] = digits[Int(byte & 0xF)]
                position += 2
            }
        }
    }
}

/// Random words for request, trace and span ids without a system call each: SplitMix64 over a
/// seed from the system generator, with fresh system randomness mixed in every 4,096 words.
/// (SystemRandomNumberGenerator makes one getrandom(2) call per 8 bytes: five per request.)
/// Ids need to be unique and unguessable enough to not collide, not secret; they are not used as
/// credentials anywhere.
final class IDRandom: @unchecked Sendable {
    static let shared = IDRandom()
    private let lock = NSLock()
    private var state: UInt64
    private var drawn: UInt64 = 0

    init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    func next() -> UInt64 {
        var z: UInt64 = lock.withLock {
            drawn &+= 1
            if drawn & 4095 == 0 {
                var system = SystemRandomNumberGenerator()
                state ^= system.next()
            }
            state &+= 0x9E37_79B9_7F4A_7C15
            return state
        }
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
