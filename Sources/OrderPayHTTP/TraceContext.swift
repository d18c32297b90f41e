import Foundation
import OrderPayCore

/// A W3C trace context (`traceparent: 00-<trace-id>-<parent-id>-<flags>`).
///
/// A request that carries a valid `traceparent` continues that trace: the trace id is kept and this
/// server's span gets a new id. Otherwise a new trace starts.
public struct TraceContext: Sendable, Equatable {
    /// 32 lowercase hex digits, not all zero.
    public let traceId: String
    /// This request's span: 16 lowercase hex digits, not all zero.
    public let spanId: String
    /// The caller's span, when the request continued a trace.
    public let parentSpanId: String?
    public let flags: String

    public init(traceId: String, spanId: String, parentSpanId: String? = nil, flags: String = "01") {
        self.traceId = traceId; self.spanId = spanId; self.parentSpanId = parentSpanId; self.flags = flags
    }

    /// The header value to send on: our span as the parent of whatever comes next.
    public var traceparent: String { "00-\(traceId)-\(spanId)-\(flags)" }

    public static func generate() -> TraceContext {
        TraceContext(traceId: RandomHex.string(bytes: 16), spanId: RandomHex.string(bytes: 8))
    }

    /// Continues the caller's trace when `header` is a valid version-00 traceparent, else starts one.
    public static func continuing(_ header: String?) -> TraceContext {
        guard let header, let parent = parse(header) else { return generate() }
        return continuing(parent)
    }

    /// Continues an already parsed caller's trace: a new span in it.
    public static func continuing(_ parent: TraceContext) -> TraceContext {
        TraceContext(traceId: parent.traceId, spanId: RandomHex.string(bytes: 8), parentSpanId: parent.spanId, flags: parent.flags)
    }

    /// Parses a traceparent; nil when malformed (per the spec, such a header is ignored).
    public static func parse(_ header: String) -> TraceContext? {
        let parts = header.trimmingHTTPWhitespace().split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].count == 2, isHex(parts[0]), parts[0] != "ff" else { return nil }
        // Version 00 has exactly four fields; later versions may append more.
        if parts[0] == "00", parts.count != 4 { return nil }
        let traceId = parts[1], spanId = parts[2], flags = parts[3]
        guard traceId.count == 32, isHex(traceId), !traceId.allSatisfy({ $0 == "0" }),
              spanId.count == 16, isHex(spanId), !spanId.allSatisfy({ $0 == "0" }),
              flags.count == 2, isHex(flags)
        else { return nil }
        return TraceContext(traceId: String(traceId), spanId: String(spanId), flags: String(flags))
    }

    private static func isHex(_ text: Substring) -> Bool {
        text.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }
}
