import Foundation

/// The request a task is serving, for calls it makes to other services on that request's behalf
/// (the order service asking auth about an account, a dead letter's replay handed to its owner):
/// they carry the same `X-Request-Id` and continue the trace, so the other service's log lines
/// and events join the request's. Set by `TraceContextMiddleware` around each request.
public struct RequestCorrelation: Sendable, Equatable {
    public let requestId: String
    public let trace: TraceContext

    public init(requestId: String, trace: TraceContext) {
        self.requestId = requestId; self.trace = trace
    }

    @TaskLocal public static var current: RequestCorrelation?

    /// The headers for an outgoing call: the request id as it came, and this span as the
    /// parent of the callee's.
    public var headers: [(name: String, value: String)] {
        [("X-Request-Id", requestId), ("traceparent", trace.traceparent)]
    }
}
