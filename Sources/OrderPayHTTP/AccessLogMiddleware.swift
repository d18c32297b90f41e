import Foundation
import Hummingbird
import Logging
import OrderPayCore

/// One access-log line per request (method, path, status, duration, request id) and the request
/// metrics, labelled by the matched route pattern (`/api/orders/{id}`), never the raw path, so
/// ids do not explode the label set.
public struct AccessLogMiddleware: RouterMiddleware {
    public typealias Context = OrderPayRequestContext

    let metrics: MetricsRegistry

    public init(metrics: MetricsRegistry) { self.metrics = metrics }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = ProblemMiddleware.response(for: error, request: request, context: context)
        }
        let route = context.endpointPath ?? "NotFound"
        let status = response.status.code
        let seconds = metrics.recordRequest(method: request.method.rawValue, route: route, status: status, since: start)
        let milliseconds = (seconds * 10_000).rounded() / 10
        let level: Logger.Level = AccessLogPolicy.isRoutineHealthCheck(path: request.uri.path, status: status) ? .debug : .info
        context.logger.log(level: level, "\(request.method.rawValue) \(request.uri.path) \(status) \(milliseconds)ms", metadata: [
            "method": .string(request.method.rawValue),
            "path": .string(request.uri.path),
            "route": .string(route),
            "status": .stringConvertible(status),
            "durationMs": .stringConvertible(milliseconds),
            "requestId": .string(context.requestId),
        ])
        return response
    }
}
