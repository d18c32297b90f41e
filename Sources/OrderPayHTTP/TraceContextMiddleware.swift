import Foundation
import Hummingbird
import Logging

/// Gives every request its correlation ids and echoes them on the response:
/// `X-Request-Id` (the caller's when it is a sane token, else a new one) and the W3C `traceparent`
/// (the caller's, continued, when valid; else a new trace). Both go into the request's logger
/// metadata, and the trace id is available to handlers as `context.traceId`.
public struct TraceContextMiddleware: RouterMiddleware {
    public typealias Context = OrderPayRequestContext

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.requestId = Self.requestID(from: request.headers[.requestID])
        let incoming = request.headers[.traceparent]
        context.trace = TraceContext.continuing(incoming)
        context.logger[metadataKey: "requestId"] = .string(context.requestId)
        context.logger[metadataKey: "traceId"] = .string(context.trace.traceId)

        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = ProblemMiddleware.response(for: error, request: request, context: context)
        }
        response.headers[.requestID] = context.requestId
        // Echo the caller's traceparent when we continued it; otherwise tell the caller the new trace.
        if let incoming, TraceContext.parse(incoming) != nil {
            response.headers[.traceparent] = incoming.trimmingCharacters(in: .whitespaces)
        } else {
            response.headers[.traceparent] = context.trace.traceparent
        }
        return response
    }

    /// Accepts up to 128 characters of letters, digits and `-_.:`; anything else could forge log
    /// lines or headers, so it is replaced.
    static func requestID(from header: String?) -> String {
        if let header, (1...128).contains(header.count),
           header.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) && $0.isASCII || "-_.:".unicodeScalars.contains($0) }) {
            return header
        }
        return UUID().uuidString.lowercased()
    }
}
