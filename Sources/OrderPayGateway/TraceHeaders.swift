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
    ///   - traceparent: the incoming traceparent, continued (same trace, new span) when valid by
    ///     the services' rule (`TraceContext.parse`), so the gateway and the services agree on
    ///     which traces go on.
    public init(requestId incoming: String?, traceparent parent: String?) {
        requestId = incoming.flatMap { TraceContextMiddleware.isAcceptableRequestID($0) ? $0 : nil } ?? RandomHex.string(bytes: 16)
        if let parent, let context = TraceContext.parse(parent) {
            traceparent = TraceContext.continuing(context).traceparent
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
}
