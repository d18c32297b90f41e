import Foundation
import OrderPayCore

/// Storage for the Auth service. The service owns every rule (validation, authorization, lockout
/// policy, token rotation); a repository only stores and finds, but must make the few
/// read-modify-write steps named below atomic, because concurrent requests race on them.
///
/// Implementations: `SQLiteAuthStore` (OrderPayStore); a PostgreSQL one is planned.
public protocol AuthRepository: Sendable {
    // MARK: Users

    /// Inserts a user and returns it with its new id. Emails are unique case-insensitively:
    /// a duplicate throws `AppError.conflict("email already registered")`.
    func insertUser(_ user: NewUser) async throws -> User

    func user(id: Int64) async throws -> StoredUser?

    /// Case-insensitive match on the whole address.
    func user(email: String) async throws -> StoredUser?

    /// Newest first (creation time, then id, both descending).
    func listUsers(filter: UserFilter, page: PageRequest) async throws -> Page<User>

    /// Applies only the fields that are set, in one statement, so two admins editing different
    /// fields do not overwrite each other. Returns nil when the user does not exist.
    func updateUser(id: Int64, _ changes: UserChanges) async throws -> User?

    /// `updateUser` for a change that takes a user's admin role or ACTIVE status away: when the
    /// user is an active admin now, made only if another active admin remains. The check and the
    /// write are one atomic step, so two admins demoting the last two others at the same instant
    /// cannot both pass it.
    func updateUserKeepingAnActiveAdmin(id: Int64, _ changes: UserChanges) async throws -> KeptAdminUpdate

    /// Atomically takes the next of the user's password attempts before the password is checked:
    /// `.locked` while `lockedUntil` is after `now`; else the count goes up by one, and past
    /// `limit` the account is locked until `lockUntil` (the count restarting at zero, so the user
    /// has a full set once the lock passes) and the attempt refused. Counted before the check, so
    /// concurrent guesses cannot all pass a lock check that their failures come too late to set.
    func beginPasswordAttempt(userId: Int64, limit: Int, now: Date, lockUntil: Date) async throws -> PasswordAttempt

    /// Locks the account until `until` (the count restarting at zero).
    func lockAccount(userId: Int64, until: Date) async throws

    /// Clears the failed-login count and any temporary lock.
    func resetFailedLogins(userId: Int64) async throws

    func countUsers() async throws -> Int

    // MARK: Refresh tokens

    func insertRefreshToken(_ token: RefreshTokenRecord) async throws

    func refreshToken(hash: String) async throws -> RefreshTokenRecord?

    /// Marks the token used only if it is neither used nor revoked yet, and says whether this
    /// call did it: the compare-and-set that lets exactly one of two concurrent refreshes win.
    func markRefreshTokenUsed(hash: String, at: Date) async throws -> Bool

    /// Revokes every not-yet-revoked token of the family.
    func revokeRefreshTokenFamily(_ familyId: String, at: Date) async throws

    /// Revokes every not-yet-revoked token of the user, whatever the family.
    func revokeRefreshTokens(userId: Int64, at: Date) async throws
}

/// A user as the repository holds it: the public `User` plus what must never leave the service.
public struct StoredUser: Sendable, Equatable {
    public var user: User
    public var passwordHash: String

    public init(user: User, passwordHash: String) {
        self.user = user; self.passwordHash = passwordHash
    }
}

public struct NewUser: Sendable, Equatable {
    public var email: String
    public var passwordHash: String
    public var name: String
    public var phoneNumber: String?
    public var address: String?
    public var profileImageUrl: String?
    public var status: UserStatus
    public var roles: [Role]
    public var createdAt: Date

    public init(email: String, passwordHash: String, name: String, phoneNumber: String? = nil,
                address: String? = nil, profileImageUrl: String? = nil, status: UserStatus = .active,
                roles: [Role] = [.user], createdAt: Date) {
        self.email = email; self.passwordHash = passwordHash; self.name = name
        self.phoneNumber = phoneNumber; self.address = address; self.profileImageUrl = profileImageUrl
        self.status = status; self.roles = roles; self.createdAt = createdAt
    }
}

/// A partial update: nil leaves a field unchanged. The optional columns take a double optional
/// so that `.some(nil)` can clear them.
public struct UserChanges: Sendable, Equatable {
    public var updatedAt: Date
    public var name: String?
    public var phoneNumber: String??
    public var address: String??
    public var profileImageUrl: String??
    public var status: UserStatus?
    public var roles: [Role]?
    public var passwordHash: String?
    public var lastPasswordChangeAt: Date?

    public init(updatedAt: Date, name: String? = nil, phoneNumber: String?? = nil, address: String?? = nil,
                profileImageUrl: String?? = nil, status: UserStatus? = nil, roles: [Role]? = nil,
                passwordHash: String? = nil, lastPasswordChangeAt: Date? = nil) {
        self.updatedAt = updatedAt; self.name = name; self.phoneNumber = phoneNumber; self.address = address
        self.profileImageUrl = profileImageUrl; self.status = status; self.roles = roles
        self.passwordHash = passwordHash; self.lastPasswordChangeAt = lastPasswordChangeAt
    }
}

public enum KeptAdminUpdate: Sendable, Equatable {
    case updated(User)
    case notFound
    /// Nothing was changed: the user is the last active admin.
    case lastActiveAdmin(User)
}

public struct UserFilter: Sendable, Equatable, Codable {
    public var status: UserStatus?
    public var role: Role?
    /// Matches a substring of the name or the email, ignoring case.
    public var text: String?

    public init(status: UserStatus? = nil, role: Role? = nil, text: String? = nil) {
        self.status = status; self.role = role; self.text = text
    }
}

/// A refresh token as stored: only the SHA-256 of the token, so a leaked table grants nothing.
public struct RefreshTokenRecord: Sendable, Equatable {
    public var tokenHash: String
    public var userId: Int64
    /// Every token rotated from one login shares the family, so reuse can revoke them together.
    public var familyId: String
    public var issuedAt: Date
    public var expiresAt: Date
    public var usedAt: Date?
    public var revokedAt: Date?

    public init(tokenHash: String, userId: Int64, familyId: String, issuedAt: Date, expiresAt: Date,
                usedAt: Date? = nil, revokedAt: Date? = nil) {
        self.tokenHash = tokenHash; self.userId = userId; self.familyId = familyId
        self.issuedAt = issuedAt; self.expiresAt = expiresAt; self.usedAt = usedAt; self.revokedAt = revokedAt
    }
}

/// A password attempt taken before the check: its number among the consecutive ones, or the lock
/// that refuses it.
public enum PasswordAttempt: Equatable, Sendable {
    case allowed(number: Int)
    case locked(until: Date)
}
