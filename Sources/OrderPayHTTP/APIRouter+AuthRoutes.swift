import Hummingbird
import OrderPayCore
import OrderPayServices

/// `/api/auth`: signup, login, refresh (public) and logout (needs an access token).
public func addAuthRoutes(to api: APIRouter, auth: AuthService, tokens: TokenService) {
    let tag = "auth"
    let busy = "too many password checks are running or waiting; retry after Retry-After (1 s)"
    api.on(RouteDescriptor(method: .post, path: "/api/auth/signup", tag: tag, summary: "Create an account (ROLE_USER)",
                           access: .anonymous, body: "SignupRequest", response: .json("User", status: 201),
                           problems: [503: busy])) { request, context in
        let body = try await request.decodeJSON(SignupRequest.self, context: context)
        return try .json(try await auth.signup(body), status: .created)
    }
    api.on(RouteDescriptor(method: .post, path: "/api/auth/login", tag: tag, summary: "Log in: an access token and a refresh token",
                           access: .anonymous, body: "LoginRequest", response: .json("TokenPair"),
                           problems: [401: "wrong email or password, an account that may not log in, or one locked after too many wrong passwords",
                                      503: busy])) { request, context in
        let body = try await request.decodeJSON(LoginRequest.self, context: context)
        return try .json(try await auth.login(email: body.email, password: body.password))
    }
    api.on(RouteDescriptor(method: .post, path: "/api/auth/refresh", tag: tag,
                           summary: "Trade a refresh token for a new pair (each refresh token works once)",
                           access: .anonymous, body: "RefreshTokenRequest", response: .json("TokenPair"),
                           problems: [401: "an unknown, expired, revoked or already used refresh token (a reused one revokes its whole family)"])) { request, context in
        let body = try await request.decodeJSON(RefreshTokenRequest.self, context: context)
        return try .json(try await auth.refresh(refreshToken: body.refreshToken))
    }
    api.on(RouteDescriptor(method: .post, path: "/api/auth/logout", tag: tag, summary: "End the session the refresh token belongs to",
                           access: .user(tokens), body: "RefreshTokenRequest", response: .empty(),
                           problems: [403: "the refresh token belongs to another user"])) { request, context in
        let body = try await request.decodeJSON(RefreshTokenRequest.self, context: context)
        try await auth.logout(actor: try context.requireActor(), refreshToken: body.refreshToken)
        return .noContent
    }
}
