import Hummingbird

/// Request counts and latencies for a router that has no `APIRouter` (the registry's Eureka API):
/// labelled by the matched route pattern, never the raw path. Add it before the middleware that
/// turns errors into responses, so it sees their statuses.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: MetricsRegistry

    public init(metrics: MetricsRegistry) { self.metrics = metrics }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            metrics.recordRequest(method: request.method.rawValue, route: context.endpointPath,
                                  status: (error as? HTTPResponseError)?.status.code ?? 500, since: start)
            throw error
        }
        metrics.recordRequest(method: request.method.rawValue, route: context.endpointPath, status: response.status.code, since: start)
        return response
    }
}
