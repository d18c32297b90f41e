import Foundation
import Hummingbird
import OrderPayCore

/// Requires the registry's credentials (HTTP Basic), when it has them, of every request but
/// `/health`, `/metrics` and `/openapi.json`, which stay open as a Spring Boot Eureka server
/// leaves its actuator endpoints: every registration, renewal, cancellation, override and
/// listing. Open paths are named, not protected ones: the router reads `//eureka/apps` as
/// `/eureka/apps`, and a check for the `/eureka/` prefix let it through.
public struct RegistryAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let credentials: RegistryCredentials

    public init(credentials: RegistryCredentials) { self.credentials = credentials }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let segments = request.uri.path.split(separator: "/")   // empty pieces dropped, as the router drops them
        let open = segments.count == 1 && ["health", "metrics", "openapi.json"].contains(segments[0])
        guard !open, !credentials.accepts(authorization: request.headers[.authorization]) else {
            return try await next(request, context)
        }
        let detail = request.headers[.authorization] == nil
            ? "the registry requires credentials (HTTP Basic; Eureka clients take them in the URL: http://user:password@host:port)"
            : "the registry's credentials were not accepted"
        return JSONResponses.problem(.unauthorized, detail, headers: [.wwwAuthenticate: #"Basic realm="orderpay-registry", charset="UTF-8""#])
    }
}
