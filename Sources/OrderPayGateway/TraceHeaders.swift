import Foundation
import HTTPTypes
import Hummingbird

/// X-Request-Id and W3C traceparent: propagated when valid, generated when absent.
public struct TraceHeaders: Sendable {
    public static let requestIdName = HTTPField.Name("X-Request-Id")!
    public static let traceparentName = HTTPField.Name("traceparent")!

    public let requestId: String
    public let traceparent: String

    public var traceId: String { String(traceparent.split(separator: "-")[1]) }

    public init(_ headers: HTTPFields) {
        let incoming = headers[Self.requestIdName].flatMap { $0.count <= 200 && !$0.isEmpty ? $0 : nil }
        requestId = incoming ?? Self.randomHex(16)
        if let parent = headers[Self.traceparentName], Self.isValid(parent) {
            // Same trace, a new span for this hop.
            let parts = parent.split(separator: "-")
            traceparent = "00-\(parts[1])-\(Self.randomHex(8))-\(parts[3])"
        } else {
            traceparent = "00-\(Self.randomHex(16))-\(Self.randomHex(8))-01"
        }
    }

    static func isValid(_ value: String) -> Bool {
        value.range(of: #"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"#, options: .regularExpression) != nil
            && !value.contains("-00000000000000000000000000000000-")
    }

    private static let digits = Array("0123456789abcdef".utf8)

    /// On every proxied request: a byte loop, not String(format:) per byte.
    static func randomHex(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var text = [UInt8]()
        text.reserveCapacity(bytes * 2)
        var word: UInt64 = 0
        for index in 0..<bytes {
            if index % 8 == 0 { word = generator.next() }
            let byte = UInt8(truncatingIfNeeded: word >> (8 * UInt64(index % 8)))
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
