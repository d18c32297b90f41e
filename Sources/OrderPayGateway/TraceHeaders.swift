import Foundation
import OrderPayCore
import NIOHTTP1
import OrderPayHTTP

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
    ///   - requestId: the incoming X-Request-Id, kept when the services would keep it too (1–128
    ///     letters, digits and `-_.:`: nothing that could forge a log line or a header).
    ///   - traceparent: the incoming traceparent, continued (same trace, new span) when valid.
    public init(requestId incoming: String?, traceparent parent: String?) {
        requestId = incoming.flatMap { TraceContextMiddleware.isAcceptableRequestID($0) ? $0 : nil } ?? RandomHex.string(bytes: 16)
        if let parent, Self.isValid(parent) {
            // Same trace, a new span for this hop.
            let parts = parent.split(separator: "-")
            traceparent = "00-\(parts[1])-\(RandomHex.string(bytes: 8))-\(parts[3])"
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
            RandomHex.write(words: 2, into: text, at: 3)
            text[35] = dash
            RandomHex.write(words: 1, into: text, at: 36)
            text[52] = dash; text[53] = zero; text[54] = UInt8(ascii: "1")
            return 55
        }
    }

    /// `version-traceid-spanid-flags`, lowercase hex, neither id all zeros, the version not ff
    /// (W3C Trace Context, as the services check it; a byte loop: a regular expression per
    /// request cost more than the rest of this type together).
    static func isValid(_ value: String) -> Bool {
        if let valid = value.utf8.withContiguousStorageIfAvailable(isValid) { return valid }
        return Array(value.utf8).withUnsafeBufferPointer(isValid)
    }

    private static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == 55, bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"), bytes[52] == UInt8(ascii: "-") else { return false }
        guard !(bytes[0] == UInt8(ascii: "f") && bytes[1] == UInt8(ascii: "f")) else { return false }
        var traceIdIsZero = true, parentIdIsZero = true
        for index in 0..<55 where index != 2 && index != 35 && index != 52 {
            let byte = bytes[index]
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte) else { return false }
            if (3..<35).contains(index) && byte != UInt8(ascii: "0") { traceIdIsZero = false }
            if (36..<52).contains(index) && byte != UInt8(ascii: "0") { parentIdIsZero = false }
        }
        return !traceIdIsZero && !parentIdIsZero
    }
}
