import Crypto
import Foundation
import OrderPayCore

/// Sessions: login, refresh-token rotation with reuse detection, logout.
///
/// A login starts a token family. Each refresh token works once: using it marks it used and
/// issues its successor in the same family. A used token presented again means two parties hold
/// the chain (one of them stole it), and since we cannot tell which is legitimate the whole family
/// is revoked, ending the thief's copy as well as the owner's; the owner simply logs in again.
extension AuthService {
    static let maxFailedLogins = 5
    static let lockoutDuration: TimeInterval = 15 * 60
    static let refreshTokenLifetime: TimeInterval = 30 * 24 * 60 * 60

    public func login(email: String, password: String) async throws -> TokenPair {
        let now = clock.now()
        guard let stored = try await repository.user(email: Self.normalizedEmail(email)) else {
            _ = try await PasswordHashing.verify(password, hash: dummyPasswordHash, gate: passwordGate)
            throw AppError.unauthorized("invalid email or password")
        }
        let user = stored.user
        guard try await verifyCountingFailures(stored, password: password, now: now, lockRefusedAs: .unauthorized) else {
            throw AppError.unauthorized("invalid email or password")
        }
        // The status is told only to someone who knows the password, so it cannot be probed.
        if let refusal = Self.loginRefusal(user, now: now) { throw refusal }
        return try await issuePair(for: user, familyId: UUID().uuidString.lowercased(), now: now)
    }

    /// The password check that counts toward the lockout, for a login and a password change
    /// alike: each attempt is counted before the password is checked (concurrent guesses each
    /// take a number, so at most `maxFailedLogins` are ever checked between locks), a locked
    /// account is refused unchecked, the `maxFailedLogins`th wrong password locks it for
    /// `lockoutDuration`, and a right one clears the count.
    /// - Parameter kind: the lock's refusal (a login 401; a password change 403, its token valid).
    /// - Returns: whether the password was right.
    func verifyCountingFailures(_ stored: StoredUser, password: String, now: Date, lockRefusedAs kind: AppError.Kind) async throws -> Bool {
        if let lockedUntil = stored.user.lockedUntil, lockedUntil > now {
            throw Self.temporarilyLocked(until: lockedUntil, now: now, as: kind)
        }
        let lockUntil = now + Self.lockoutDuration
        let attempt = try await repository.beginPasswordAttempt(userId: stored.user.id, limit: Self.maxFailedLogins, now: now,
                                                                lockUntil: lockUntil)
        guard case .allowed(let number) = attempt else {
            if case .locked(let until) = attempt { throw Self.temporarilyLocked(until: until, now: now, as: kind) }
            return false
        }
        guard try await PasswordHashing.verify(password, hash: stored.passwordHash, gate: passwordGate) else {
            if number >= Self.maxFailedLogins {
                try await repository.lockAccount(userId: stored.user.id, until: lockUntil)
                throw Self.temporarilyLocked(until: lockUntil, now: now, as: kind)
            }
            return false
        }
        try await repository.resetFailedLogins(userId: stored.user.id)
        return true
    }

    public func refresh(refreshToken: String) async throws -> TokenPair {
        let now = clock.now()
        let hash = Self.hashRefreshToken(refreshToken)
        guard let record = try await repository.refreshToken(hash: hash) else {
            throw AppError.unauthorized("invalid refresh token")
        }
        if record.revokedAt != nil { throw AppError.unauthorized("refresh token revoked") }
        if record.usedAt != nil { throw try await reuseDetected(record, now: now) }
        if record.expiresAt <= now { throw AppError.unauthorized("refresh token expired") }

        guard let stored = try await repository.user(id: record.userId) else {
            try await repository.revokeRefreshTokenFamily(record.familyId, at: now)
            throw AppError.unauthorized("invalid refresh token")
        }
        // A session outlives neither a lock nor a deactivation.
        if let refusal = Self.loginRefusal(stored.user, now: now) { throw refusal }

        // Losing this compare-and-set means the same token was presented twice at once: reuse.
        guard try await repository.markRefreshTokenUsed(hash: hash, at: now) else {
            throw try await reuseDetected(record, now: now)
        }
        let pair = try await issuePair(for: stored.user, familyId: record.familyId, now: now)
        // If reuse detection revoked the family between our mark and our insert, the successor was
        // inserted unrevoked; the revocation also reached the token we just used, so look again.
        if try await repository.refreshToken(hash: hash)?.revokedAt != nil {
            try await repository.revokeRefreshTokenFamily(record.familyId, at: now)
            throw AppError.unauthorized("refresh token revoked")
        }
        return pair
    }

    /// Ends the login the token belongs to (every token of its family). Logging out twice is fine.
    /// Ends the caller's session that `refreshToken` belongs to; another account's is refused.
    public func logout(actor: Actor, refreshToken: String) async throws {
        guard let record = try await repository.refreshToken(hash: Self.hashRefreshToken(refreshToken)) else {
            throw AppError.unauthorized("invalid refresh token")
        }
        guard record.userId == actor.userId else {
            throw AppError.forbidden("the refresh token belongs to another account's session")
        }
        try await repository.revokeRefreshTokenFamily(record.familyId, at: clock.now())
    }

    // MARK: - Helpers

    private func reuseDetected(_ record: RefreshTokenRecord, now: Date) async throws -> AppError {
        try await repository.revokeRefreshTokenFamily(record.familyId, at: now)
        return AppError.unauthorized("refresh token already used; the session has been revoked, please log in again")
    }

    private func issuePair(for user: User, familyId: String, now: Date) async throws -> TokenPair {
        let accessToken = try await tokens.issueAccessToken(for: user)
        let refreshToken = Self.newRefreshToken()
        try await repository.insertRefreshToken(RefreshTokenRecord(
            tokenHash: Self.hashRefreshToken(refreshToken), userId: user.id, familyId: familyId,
            issuedAt: now, expiresAt: now + Self.refreshTokenLifetime))
        return TokenPair(accessToken: accessToken, refreshToken: refreshToken, tokenType: "Bearer",
                         expiresIn: Int(tokens.accessTokenLifetime))
    }

    static func loginRefusal(_ user: User, now: Date) -> AppError? {
        switch user.status {
        case .active: break
        case .deleted: return .unauthorized("account is deleted")
        case .locked: return .unauthorized("account is locked")
        case .inactive: return .unauthorized("account is inactive")
        case .pendingVerification: return .unauthorized("account is pending verification")
        }
        if let lockedUntil = user.lockedUntil, lockedUntil > now {
            return temporarilyLocked(until: lockedUntil, now: now)
        }
        return nil
    }

    /// Login's refusal (401); a password change, whose caller's token is valid, says the same as 403.
    static func temporarilyLocked(until: Date, now: Date, as kind: AppError.Kind = .unauthorized) -> AppError {
        let minutes = max(1, Int((until.timeIntervalSince(now) / 60).rounded(.up)))
        return AppError(kind, "account temporarily locked after too many wrong passwords; "
            + "try again in \(minutes) minute\(minutes == 1 ? "" : "s")")
    }

    /// 32 bytes from the system CSPRNG, base64url without padding (safe in URLs and headers).
    static func newRefreshToken() -> String {
        let key = SymmetricKey(size: .bits256)
        let base64 = key.withUnsafeBytes { Data($0).base64EncodedString() }
        return base64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Only this digest is stored. A fast hash suffices: the token has 256 bits of entropy, so
    /// unlike a password it cannot be guessed from its digest.
    static func hashRefreshToken(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
