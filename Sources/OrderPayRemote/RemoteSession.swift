import Foundation
import OrderPayCore

/// The operator's login with the gateway: a 5-minute access token and a rotating refresh token.
///
/// - `accessToken()` refreshes ahead of expiry (within `refreshMargin` of it, by `clock`).
/// - `refreshed(after:)` is what a caller does on a 401: unless someone already refreshed since
///   that token was handed out, trade the refresh token for a new pair.
/// - Refreshes are coalesced: every caller waits on the one in flight, because presenting a used
///   refresh token revokes the whole session. The newest refresh token is always the one kept, and
///   the refresh runs in its own task so a cancelled caller cannot lose a rotated pair mid-flight.
/// - When the refresh token itself is refused (expired, revoked), the session logs in again with
///   the credentials it was opened with.
/// - Inside, an error answer travels as a `GatewayAnswer`, its status kept for the event stream's
///   banner; the public methods throw its `AppError`.
/// Thread-safe: state behind a lock, never held across an `await`.
public final class RemoteSession: @unchecked Sendable {
    struct TokenPairBody: Decodable {
        var accessToken: String
        var refreshToken: String
        var expiresIn: Int
    }

    struct Tokens: Sendable {
        var accessToken: String
        var refreshToken: String
        var expiresAt: Date
    }

    let transport: GatewayTransport
    let clock: @Sendable () -> Date
    let refreshMargin: TimeInterval
    private let email: String
    private let password: String
    private let lock = NSLock()
    private var tokens: Tokens?
    private var inFlight: Task<Tokens, Error>?
    private var refreshCount = 0

    init(transport: GatewayTransport, email: String, password: String, clock: @escaping @Sendable () -> Date, refreshMargin: TimeInterval) {
        self.transport = transport; self.email = email; self.password = password
        self.clock = clock; self.refreshMargin = refreshMargin
    }

    /// How many times the pair was refreshed (or re-obtained by logging in again) since the first login.
    public var refreshes: Int { lock.withLock { refreshCount } }

    /// The refresh token currently kept (the newest one).
    public var currentRefreshToken: String? { lock.withLock { tokens?.refreshToken } }

    /// When the current access token expires, by the session's clock.
    public var accessTokenExpiry: Date? { lock.withLock { tokens?.expiresAt } }

    /// POST /api/auth/login. Wrong credentials are `.unauthorized`; an unreachable gateway `.unavailable`.
    func login() async throws {
        do {
            let pair = try await requestLogin()
            lock.withLock { tokens = pair }
        } catch let answer as GatewayAnswer {
            throw answer.error
        }
    }

    /// A token to send now: the current one, or a fresh one when it is about to expire. If that
    /// refresh fails while the current token is still valid, the current one is used anyway.
    public func accessToken() async throws -> String {
        do { return try await accessTokenKeepingStatus() } catch let answer as GatewayAnswer { throw answer.error }
    }

    /// `accessToken()`, but when the gateway answers the refresh with an error, that comes as a
    /// `GatewayAnswer` with its status: the event stream's banner names it ("504 from the
    /// gateway"), where an `AppError` knows only that a 502, 503 or 504 is `.unavailable`.
    func accessTokenKeepingStatus() async throws -> String {
        let (current, due) = lock.withLock { () -> (Tokens?, Bool) in
            guard let tokens else { return (nil, true) }
            return (tokens, clock() >= tokens.expiresAt.addingTimeInterval(-refreshMargin))
        }
        guard let current else { return try await refreshedKeepingStatus(after: nil) }
        guard due else { return current.accessToken }
        do {
            return try await refreshedKeepingStatus(after: current.accessToken)
        } catch let error as AppError where error.kind == .unavailable && clock() < current.expiresAt {
            return current.accessToken
        } catch let answer as GatewayAnswer where answer.error.kind == .unavailable && clock() < current.expiresAt {
            return current.accessToken
        }
    }

    /// A new access token because `stale` was refused (or is about to expire); when another caller
    /// has already replaced `stale`, that newer token is returned without refreshing again.
    @discardableResult
    public func refreshed(after stale: String?) async throws -> String {
        do { return try await refreshedKeepingStatus(after: stale) } catch let answer as GatewayAnswer { throw answer.error }
    }

    /// `refreshed(after:)`, an error answer kept as a `GatewayAnswer` (see `accessTokenKeepingStatus`).
    func refreshedKeepingStatus(after stale: String?) async throws -> String {
        let task = lock.withLock { () -> Task<Tokens, Error>? in
            if let stale, let tokens, tokens.accessToken != stale { return nil }
            if let inFlight { return inFlight }
            let refreshToken = tokens?.refreshToken
            let task = Task { try await self.rotate(using: refreshToken) }
            inFlight = task
            return task
        }
        guard let task else { return lock.withLock { tokens!.accessToken } }
        return try await task.value.accessToken
    }

    private func rotate(using refreshToken: String?) async throws -> Tokens {
        do {
            let pair: Tokens
            if let refreshToken {
                do {
                    pair = try await requestRefresh(refreshToken)
                } catch let answer as GatewayAnswer where answer.error.kind == .unauthorized {
                    pair = try await requestLogin()
                }
            } else {
                pair = try await requestLogin()
            }
            lock.withLock { tokens = pair; inFlight = nil; refreshCount += 1 }
            return pair
        } catch {
            lock.withLock { inFlight = nil }
            throw error
        }
    }

    private func requestLogin() async throws -> Tokens {
        struct Body: Encodable { var email: String; var password: String }
        let body = try GatewayTransport.encode(Body(email: email, password: password))
        return try await exchange(path: "/api/auth/login", body: body)
    }

    private func requestRefresh(_ refreshToken: String) async throws -> Tokens {
        struct Body: Encodable { var refreshToken: String }
        return try await exchange(path: "/api/auth/refresh", body: try GatewayTransport.encode(Body(refreshToken: refreshToken)))
    }

    private func exchange(path: String, body: Data) async throws -> Tokens {
        let sentAt = clock()
        let response = try await transport.exchange("POST", path, body: body)
        guard response.isSuccess else { throw GatewayAnswer(status: response.status, error: ProblemMapping.error(for: response)) }
        let pair = try GatewayTransport.decode(TokenPairBody.self, from: response)
        return Tokens(accessToken: pair.accessToken, refreshToken: pair.refreshToken,
                      expiresAt: sentAt.addingTimeInterval(TimeInterval(pair.expiresIn)))
    }

    /// Test hook: replaces the access token (say, with garbage) so the next call meets a 401.
    func replaceAccessTokenForTesting(_ token: String) {
        lock.withLock { tokens?.accessToken = token }
    }
}
