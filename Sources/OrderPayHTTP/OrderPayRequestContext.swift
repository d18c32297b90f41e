import Foundation
import Hummingbird
import OrderPayCore

/// The request context every OrderPay route sees: Hummingbird's core storage plus who is calling
/// (set by `BearerAuthMiddleware`) and the request's correlation ids (set by `TraceContextMiddleware`).
public struct OrderPayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The verified caller; nil on public routes.
    public var actor: Actor?
    /// The caller's bearer token, passed on when this service asks another on the caller's behalf.
    public var bearerToken: String?
    /// `X-Request-Id`: the caller's if it sent a sane one, else generated.
    public var requestId: String
    /// W3C trace context of this request (the caller's trace, or a new one).
    public var trace: TraceContext

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        actor = nil
        bearerToken = nil
        requestId = ""
        trace = TraceContext.generate()
    }

    /// The trace id handed to services so their events carry it.
    public var traceId: String { trace.traceId }

    /// The caller; throws 401 when a route forgot its authentication middleware, never crashes.
    public func requireActor() throws -> Actor {
        guard let actor else { throw AppError.unauthorized("authentication required") }
        return actor
    }

    public var requestDecoder: JSONDecoder { JSONCoding.decoder }
    public var responseEncoder: JSONEncoder { JSONCoding.encoder }
}
