import Foundation
import Hummingbird
import Logging

/// A Hummingbird router for OrderPay plus the table of every route mounted on it.
///
/// Routes are added only through `on(_:)`, which mounts the handler and records its descriptor in
/// one step, so the OpenAPI document (`addOpenAPIRoute`) always lists exactly what is mounted.
/// Every request passes, outermost first: `TraceContextMiddleware` (request id, traceparent),
/// `AccessLogMiddleware` (log line, metrics), `ProblemMiddleware` (errors → problem+json); then,
/// on protected routes, `BearerAuthMiddleware`.
public final class APIRouter: HTTPResponderBuilder, @unchecked Sendable {
    public typealias Context = OrderPayRequestContext
    public typealias Handler = @Sendable (Request, Context) async throws -> Response

    public let router: Router<Context>
    public let metrics: MetricsRegistry
    /// The descriptors of every route mounted so far, in mounting order.
    public let table = RouteTable()

    public init(metrics: MetricsRegistry = MetricsRegistry()) {
        self.metrics = metrics
        // HEAD wherever GET is, as HTTP asks: the GET route's response (its checks included), without the body.
        router = Router(context: Context.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: TraceContextMiddleware())
        router.add(middleware: AccessLogMiddleware(metrics: metrics))
        router.add(middleware: ProblemMiddleware(routes: table))
        // After ProblemMiddleware, so its refusals are problem+json too.
        router.add(middleware: QueryStringRules())
    }

    public var routes: [RouteDescriptor] { table.routes }

    /// Mounts `handler` for the descriptor's method and path behind the access check it names.
    public func on(_ route: RouteDescriptor, use handler: @escaping Handler) {
        table.append(route)
        let path = RouterPath(route.path)
        switch route.access {
        case .anonymous:
            router.on(path, method: route.method, use: handler)
        case .user(let tokens):
            router.group().add(middleware: BearerAuthMiddleware(tokens: tokens)).on(path, method: route.method, use: handler)
        case .admin(let tokens):
            router.group().add(middleware: BearerAuthMiddleware(tokens: tokens, requiring: .admin))
                .on(path, method: route.method, use: handler)
        }
    }

    public func buildResponder() -> RouterResponder<Context> { router.buildResponder() }
}

/// The routes an `APIRouter` has mounted; shared with handlers (the OpenAPI route) without them
/// holding the router itself.
public final class RouteTable: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [RouteDescriptor] = []

    public var routes: [RouteDescriptor] { lock.withLock { entries } }

    func append(_ route: RouteDescriptor) { lock.withLock { entries.append(route) } }
}
