import Foundation
import Hummingbird
import OrderPayCore

/// Requires the registry's credentials (HTTP Basic) on Eureka's API, when it has them: every
/// registration, renewal, cancellation, override and listing. `/health`, `/metrics` and
/// `/openapi.json` stay open, as a Spring Boot Eureka server leaves its actuator endpoints.
public struct RegistryAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let credentials: RegistryCredentials

    public init(credentials: RegistryCredentials) { self.credentials = credentials }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path == "/eureka" || path.hasPrefix("/eureka/"), !credentials.accepts(authorization: request.headers[.authorization]) else {
            return try await next(request, context)
        }
        let detail = request.headers[.authorization] == nil
            ? "the registry requires credentials (HTTP Basic; Eureka clients take them in the URL: http://user:password@host:port)"
            : "the registry's credentials were not accepted"
        return JSONResponses.problem(.unauthorized, detail, headers: [.wwwAuthenticate: #"Basic realm="orderpay-registry", charset="UTF-8""#])
    }
}
