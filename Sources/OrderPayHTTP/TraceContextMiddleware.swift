import Foundation
import Hummingbird
import Logging
import OrderPayCore

/// Gives every request its correlation ids and echoes them on the response:
/// `X-Request-Id` (the caller's when it is a sane token, else a new one) and the W3C `traceparent`
/// (the caller's, continued, when valid; else a new trace). Both go into the request's logger
/// metadata, and the trace id is available to handlers as `context.traceId`; calls to other
/// services made while the request is served carry both on (`RequestCorrelation`).
public struct TraceContextMiddleware: RouterMiddleware {
    public typealias Context = OrderPayRequestContext

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.requestId = Self.requestID(from: request.headers[.requestID])
        let incoming = request.headers[.traceparent]
        let parent = incoming.flatMap(TraceContext.parse)   // parsed once: it decides the echo below too
        context.trace = parent.map(TraceContext.continuing) ?? .generate()
        context.logger[metadataKey: "requestId"] = .string(context.requestId)
        context.logger[metadataKey: "traceId"] = .string(context.trace.traceId)

        var response: Response
        do {
            response = try await RequestCorrelation.$current.withValue(RequestCorrelation(requestId: context.requestId, trace: context.trace)) {
                try await next(request, context)
            }
        } catch {
            response = ProblemMiddleware.response(for: error, request: request, context: context)
        }
        response.headers[.requestID] = context.requestId
        // Echo the caller's traceparent when we continued it; otherwise tell the caller the new trace.
        if let incoming, parent != nil {
            response.headers[.traceparent] = String(incoming.trimmingHTTPWhitespace())
        } else {
            response.headers[.traceparent] = context.trace.traceparent
        }
        return response
    }

    /// Accepts up to 128 characters of letters, digits and `-_.:`; anything else could forge log
    /// lines or headers, so it is replaced.
    static func requestID(from header: String?) -> String {
        if let header, isAcceptableRequestID(header) { return header }
        return UUID().uuidString.lowercased()
    }

    /// The rule for a caller's X-Request-Id, shared with the gateway so both keep the same ids.
    public static func isAcceptableRequestID(_ header: String) -> Bool {
        (1...128).contains(header.utf8.count) && header.utf8.allSatisfy(isRequestIdByte)
    }

    private static func isRequestIdByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"): return true
        default: return false
        }
    }
}
