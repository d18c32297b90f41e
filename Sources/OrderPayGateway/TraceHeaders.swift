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
        requestId = incoming ?? UUID().uuidString.lowercased()
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

    static func randomHex(_ bytes: Int) -> String {
        (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }
}
