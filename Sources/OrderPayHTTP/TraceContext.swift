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
        var trimmed = header.trimmingHTTPWhitespace()
        // Byte by byte: every request through the gateway carries one, and splitting it into
        // Substrings and counting Characters was 2 % of a service's CPU on a GET.
        return trimmed.withUTF8 { parse(bytes: $0) }
    }

    /// `vv-<32 hex>-<16 hex>-<2 hex>`, lowercase; version 00 exactly that, later versions may
    /// append `-…`; version ff and all-zero ids are invalid.
    private static func parse(bytes b: UnsafeBufferPointer<UInt8>) -> TraceContext? {
        let dash = UInt8(ascii: "-")
        guard b.count >= 55, isHex(b, 0..<2), b[2] == dash, b[35] == dash, b[52] == dash,
              isHex(b, 3..<35), isHex(b, 36..<52), isHex(b, 53..<55) else { return nil }
        let version00 = b[0] == UInt8(ascii: "0") && b[1] == UInt8(ascii: "0")
        guard !(b[0] == UInt8(ascii: "f") && b[1] == UInt8(ascii: "f")),
              version00 ? b.count == 55 : (b.count == 55 || b[55] == dash),
              !isZero(b, 3..<35), !isZero(b, 36..<52) else { return nil }
        func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: b[range]), as: UTF8.self) }
        return TraceContext(traceId: text(3..<35), spanId: text(36..<52), flags: text(53..<55))
    }

    private static func isHex(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        range.allSatisfy { index in
            let byte = b[index]
            return (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
        }
    }

    private static func isZero(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        range.allSatisfy { b[$0] == UInt8(ascii: "0") }
    }
}
