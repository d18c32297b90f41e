import Hummingbird
import OrderPayCore
import OrderPayServices

/// Reads `Authorization: Bearer <jwt>`, has `TokenService` verify it (signature, expiry, issuer)
/// and puts the resulting `Actor` on the context. Missing or refused tokens end the request with
/// 401 (`WWW-Authenticate: Bearer`, added by `ProblemMiddleware`); with `requiring: .admin`, a
/// valid non-admin token gets 403.
public struct BearerAuthMiddleware: RouterMiddleware {
    public typealias Context = OrderPayRequestContext

    let tokens: TokenService
    let role: Role?

    public init(tokens: TokenService, requiring role: Role? = nil) {
        self.tokens = tokens
        self.role = role
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw AppError.unauthorized("missing bearer token")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].equalsIgnoringASCIICase("bearer") else {
            throw AppError.unauthorized("the Authorization header must be 'Bearer <token>'")
        }
        var context = context
        let token = String(parts[1].trimmingHTTPWhitespace())
        context.actor = try await tokens.verify(token, requiring: role)
        context.bearerToken = token
        if let actor = context.actor { context.logger[metadataKey: "actor"] = .string(actor.email) }
        return try await next(request, context)
    }
}
