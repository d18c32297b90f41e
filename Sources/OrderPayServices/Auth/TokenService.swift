import Foundation
import JWTKit
import OrderPayCore

/// Issues and checks the short-lived access tokens (JWT, HS256).
///
/// Verification is stateless: a token stays valid until it expires even if the user is locked or
/// deleted meanwhile. That is why access tokens live minutes and refresh tokens (which are checked
/// against the store) carry the long-lived session.
public final class TokenService: Sendable {
    public let issuer: String
    public let accessTokenLifetime: TimeInterval
    private let clock: any Clock
    /// JWTKeyCollection is an actor whose `add` is async, so the configured collection is built
    /// once in a task and awaited by each call rather than in the synchronous initializer.
    private let keys: Task<JWTKeyCollection, Never>
    /// Tokens whose signature and issuer were already checked, with their expiry: a client sends
    /// the same token for minutes, and the gateway and every service verify it on each request.
    /// Expiry and roles are still checked on every call. Bounded: emptied when full.
    private let verified = VerifiedTokens(capacity: 10_000)

    /// - Parameter secret: the HMAC key; use at least 32 random bytes in production.
    public init(secret: String, issuer: String = "orderpay", clock: any Clock, accessTokenLifetime: TimeInterval = 300) {
        self.issuer = issuer
        self.clock = clock
        self.accessTokenLifetime = accessTokenLifetime
        let key = HMACKey(from: secret)
        keys = Task { await JWTKeyCollection().add(hmac: key, digestAlgorithm: .sha256) }
    }

    public func issueAccessToken(for user: User) async throws -> String {
        // Whole seconds: JWT times are NumericDate, and fractions would only confuse other verifiers.
        let issuedAt = Date(timeIntervalSince1970: clock.now().timeIntervalSince1970.rounded(.down))
        let claims = AccessClaims(
            sub: SubjectClaim(value: String(user.id)),
            email: user.email,
            roles: user.roles.map(\.rawValue),
            iat: IssuedAtClaim(value: issuedAt),
            exp: ExpirationClaim(value: issuedAt + accessTokenLifetime),
            jti: IDClaim(value: UUID().uuidString.lowercased()),
            iss: IssuerClaim(value: issuer))
        return try await keys.value.sign(claims)
    }

    /// Returns who the token speaks for.
    ///
    /// - Parameter role: when given, the token must carry it, or be an admin's (admins may do
    ///   whatever a plain user may); otherwise `AppError.forbidden`.
    public func verify(_ token: String, requiring role: Role? = nil) async throws -> Actor {
        if let actor = try verifiedBefore(token, requiring: role) { return actor }
        let claims: AccessClaims
        do {
            claims = try await keys.value.verify(token, as: AccessClaims.self)
        } catch {
            // Signature, shape and decoding failures all look the same to the caller on purpose.
            throw AppError.unauthorized("invalid access token")
        }
        guard claims.iss.value == issuer else { throw AppError.unauthorized("access token has the wrong issuer") }
        guard let userId = Int64(claims.sub.value) else { throw AppError.unauthorized("invalid access token") }
        let actor = Actor(userId: userId, email: claims.email, roles: Set(claims.roles.compactMap(Role.init(rawValue:))))
        verified.store(token, actor: actor, expiresAt: claims.exp.value)
        return try check(actor, expiresAt: claims.exp.value, requiring: role)
    }

    /// `verify` without suspending, for a token whose signature and issuer were checked before
    /// (expiry and role are checked now): nil when it was not, and only `verify` can tell. The
    /// gateway answers most requests from here on its event loop, without an async hop.
    public func verifiedBefore(_ token: String, requiring role: Role? = nil) throws -> Actor? {
        guard let (actor, expiresAt) = verified.lookup(token) else { return nil }
        return try check(actor, expiresAt: expiresAt, requiring: role)
    }

    private func check(_ actor: Actor, expiresAt: Date, requiring role: Role?) throws -> Actor {
        // Checked here, not in AccessClaims.verify, so expiry follows the injected clock.
        guard clock.now() < expiresAt else { throw AppError.unauthorized("access token expired") }
        if let role, !actor.roles.contains(role), !actor.isAdmin {
            throw AppError.forbidden("this operation requires \(role.rawValue)")
        }
        return actor
    }
}

struct AccessClaims: JWTPayload {
    var sub: SubjectClaim
    var email: String
    var roles: [String]
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    var jti: IDClaim
    var iss: IssuerClaim

    /// Intentionally empty: JWTKit would compare `exp` with the wall clock; TokenService compares
    /// it with the injected clock instead.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

final class VerifiedTokens: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (Actor, Date)] = [:]
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func lookup(_ token: String) -> (Actor, Date)? { lock.withLock { entries[token] } }

    func store(_ token: String, actor: Actor, expiresAt: Date) {
        lock.withLock {
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[token] = (actor, expiresAt)
        }
    }
}
