import Foundation
import HummingbirdBcrypt
import OrderPayCore

// MARK: - Requests and responses

public struct SignupRequest: Codable, Sendable, Equatable {
    public var email: String
    public var password: String
    public var name: String
    public var phoneNumber: String?
    public var address: String?

    public init(email: String, password: String, name: String, phoneNumber: String? = nil, address: String? = nil) {
        self.email = email; self.password = password; self.name = name
        self.phoneNumber = phoneNumber; self.address = address
    }
}

public struct CreateUserRequest: Codable, Sendable, Equatable {
    public var email: String
    public var password: String
    public var name: String
    public var phoneNumber: String?
    public var address: String?
    /// Defaults to `[.user]`.
    public var roles: [Role]?
    /// Defaults to `.active`.
    public var status: UserStatus?

    public init(email: String, password: String, name: String, phoneNumber: String? = nil, address: String? = nil,
                roles: [Role]? = nil, status: UserStatus? = nil) {
        self.email = email; self.password = password; self.name = name
        self.phoneNumber = phoneNumber; self.address = address; self.roles = roles; self.status = status
    }
}

/// Absent fields stay as they are; an empty phone number, address or image URL clears it.
public struct UpdateProfileRequest: Codable, Sendable, Equatable {
    public var name: String?
    public var phoneNumber: String?
    public var address: String?
    public var profileImageUrl: String?

    public init(name: String? = nil, phoneNumber: String? = nil, address: String? = nil, profileImageUrl: String? = nil) {
        self.name = name; self.phoneNumber = phoneNumber; self.address = address; self.profileImageUrl = profileImageUrl
    }
}

public struct ChangePasswordRequest: Codable, Sendable, Equatable {
    public var currentPassword: String
    public var newPassword: String
    public var confirmPassword: String

    public init(currentPassword: String, newPassword: String, confirmPassword: String) {
        self.currentPassword = currentPassword; self.newPassword = newPassword; self.confirmPassword = confirmPassword
    }
}

public struct TokenPair: Codable, Sendable, Equatable {
    public var accessToken: String
    public var refreshToken: String
    public var tokenType: String
    /// Seconds until the access token expires.
    public var expiresIn: Int

    public init(accessToken: String, refreshToken: String, tokenType: String = "Bearer", expiresIn: Int) {
        self.accessToken = accessToken; self.refreshToken = refreshToken
        self.tokenType = tokenType; self.expiresIn = expiresIn
    }
}

// MARK: - Service

/// Accounts, credentials and sessions. Login, refresh and logout live in AuthService+Sessions.swift.
public final class AuthService: Sendable {
    let repository: any AuthRepository
    /// Public so an HTTP server can verify the access tokens this service issues.
    public let tokens: TokenService
    let clock: any Clock
    let bcryptCost: UInt8
    /// Admits the password hashes and checks (see `PasswordHashing`).
    let passwordGate: AdmissionGate
    /// Checked against when the email is unknown, so that answer takes as long as a wrong password
    /// and response times do not reveal which emails are registered.
    let dummyPasswordHash: String

    /// - Parameter passwordGate: nil shares the process's (tests pass their own to fill it).
    public init(repository: any AuthRepository, tokens: TokenService, clock: any Clock, bcryptCost: UInt8 = 10,
                passwordGate: AdmissionGate? = nil) {
        precondition((4...31).contains(bcryptCost), "bcrypt cost must be between 4 and 31")
        self.passwordGate = passwordGate ?? PasswordHashing.processGate
        self.repository = repository
        self.tokens = tokens
        self.clock = clock
        self.bcryptCost = bcryptCost
        dummyPasswordHash = Bcrypt.hash("not-a-real-password", cost: bcryptCost)
    }

    public func signup(_ r: SignupRequest) async throws -> User {
        try await insert(email: r.email, password: r.password, name: r.name, phoneNumber: r.phoneNumber,
                         address: r.address, roles: [.user], status: .active)
    }

    public func createUser(actor: Actor, _ r: CreateUserRequest) async throws -> User {
        try requireAdmin(actor, "create users")
        try await requireActiveCaller(actor, to: "create users", asAdmin: true)
        let roles = r.roles ?? [.user]
        if roles.isEmpty { throw AppError.validation("at least one role is required", field: "roles") }
        return try await insert(email: r.email, password: r.password, name: r.name, phoneNumber: r.phoneNumber,
                                address: r.address, roles: roles, status: r.status ?? .active)
    }

    /// Admins may read anyone; others only themselves. Anyone else's id answers notFound, exactly
    /// like a missing id, so ids cannot be probed.
    public func user(actor: Actor, id: Int64) async throws -> User {
        try await accessibleUser(actor: actor, id: id).user
    }

    /// For other services (and login): no authorization, nil when unknown.
    public func user(email: String) async throws -> User? {
        try await repository.user(email: Self.normalizedEmail(email))?.user
    }

    /// The longest search text `listUsers` accepts.
    public static let maxSearchLength = 100

    public func listUsers(actor: Actor, filter: UserFilter, page: PageRequest) async throws -> Page<User> {
        try requireAdmin(actor, "list users")
        var filter = filter
        filter.text = filter.text?.trimmingCharacters(in: .whitespacesAndNewlines)
        if filter.text?.isEmpty == true { filter.text = nil }
        var v = Validator()
        // Longer than any name or email could match; SQL LIKE also refuses very long patterns.
        v.check((filter.text?.unicodeScalars.count ?? 0) <= Self.maxSearchLength, "q", "search text must be at most \(Self.maxSearchLength) characters")
        v.checkPrintable(filter.text, "q")
        try v.throwIfInvalid()
        return try await repository.listUsers(filter: filter, page: page)
    }

    public func updateProfile(actor: Actor, id: Int64, _ r: UpdateProfileRequest) async throws -> User {
        let current = try await accessibleUser(actor: actor, id: id).user
        // Someone else's profile is edited as an admin, with the admin role the caller has now.
        try await requireActiveCaller(actor, to: "edit profiles", asAdmin: actor.userId != id, own: current)
        try Self.requireNotDeleted(current)
        let name = r.name.map(Self.trimmed)
        let phone = r.phoneNumber.map(Self.trimmed)
        let address = r.address.map(Self.trimmed)
        let image = r.profileImageUrl.map(Self.trimmed)

        var v = Validator()
        if let name { Self.checkName(name, &v) }
        if let phone { v.check(phone.unicodeScalars.count <= 20, "phoneNumber", "phone number must be at most 20 characters") }
        if let address { v.check(address.unicodeScalars.count <= 500, "address", "address must be at most 500 characters") }
        if let image {
            v.check(image.unicodeScalars.count <= 2048, "profileImageUrl", "profile image URL must be at most 2048 characters")
            v.check(image.isEmpty || Self.isImageLink(image), "profileImageUrl",
                    "profile image URL must be a path on this server (such as /api/users/\(id)/profile-image) or an http(s) URL: "
                    + "a host name, an optional port, then nothing or a path (no user-info such as name@, no IP literal)")
        }
        v.checkPrintable(phone, "phoneNumber")
        v.checkPrintable(address, "address")
        v.checkPrintable(image, "profileImageUrl")
        try v.throwIfInvalid()

        let changes = UserChanges(updatedAt: clock.now(), name: name, phoneNumber: phone.map(Self.nilIfEmpty),
                                  address: address.map(Self.nilIfEmpty), profileImageUrl: image.map(Self.nilIfEmpty))
        return try await update(id, changes)
    }

    /// A link a client may show as an image: see ProfileImageLink, whose pattern /openapi.json publishes.
    static func isImageLink(_ text: String) -> Bool { ProfileImageLink.isAcceptable(text) }

    /// Only the owner, who must prove they know the current password. Every refresh token of the
    /// user is revoked, so a stolen session does not survive the change.
    ///
    /// A wrong current password counts toward the login lockout (the same counter and threshold:
    /// `maxFailedLogins` wrong passwords, by login or here, in any mix, lock the account for
    /// `lockoutDuration`), else a stolen access token could guess the password at the rate
    /// limit. A locked account is refused before its password is checked, here as at login; the
    /// refusal is 403 (the caller's token is valid, the account may not do this now) with login's
    /// message. A right password clears the count, as a login does.
    public func changePassword(actor: Actor, id: Int64, _ r: ChangePasswordRequest) async throws {
        let stored = try await accessibleUser(actor: actor, id: id)
        guard actor.userId == id else { throw AppError.forbidden("only the account owner can change its password") }
        try Self.requireNotDeleted(stored.user)
        try await requireActiveCaller(actor, to: "change passwords", own: stored.user)

        var v = Validator()
        Self.checkPassword(r.newPassword, field: "newPassword", &v)
        v.check(r.confirmPassword == r.newPassword, "confirmPassword", "password confirmation does not match")
        v.check(r.newPassword != r.currentPassword, "newPassword", "new password must differ from the current one")
        try v.throwIfInvalid()
        let now = clock.now()
        guard try await verifyCountingFailures(stored, password: r.currentPassword, now: now, lockRefusedAs: .forbidden) else {
            throw AppError.validation("current password is incorrect", field: "currentPassword")
        }

        let hash = try await PasswordHashing.hash(r.newPassword, cost: bcryptCost, gate: passwordGate)
        _ = try await update(id, UserChanges(updatedAt: now, passwordHash: hash, lastPasswordChangeAt: now))
        try await repository.revokeRefreshTokens(userId: id, at: now)
    }

    /// Soft delete: the row stays (orders refer to it) with status DELETED, and sessions end.
    public func deleteUser(actor: Actor, id: Int64) async throws {
        try requireAdmin(actor, "delete users")
        try await requireActiveCaller(actor, to: "delete users", asAdmin: true)
        guard actor.userId != id else { throw AppError.forbidden("an admin cannot delete their own account") }
        _ = try await applyStatus(id: id, status: .deleted)
    }

    @discardableResult
    public func changeRoles(actor: Actor, id: Int64, roles: [Role]) async throws -> User {
        try requireAdmin(actor, "change roles")
        try await requireActiveCaller(actor, to: "change roles", asAdmin: true)
        if roles.isEmpty { throw AppError.validation("at least one role is required", field: "roles") }
        // Removing one's own admin role could leave the system without any admin.
        if actor.userId == id, !roles.contains(.admin) {
            throw AppError.forbidden("an admin cannot remove their own admin role")
        }
        let changes = UserChanges(updatedAt: clock.now(), roles: Self.canonical(roles))
        if roles.contains(.admin) { return try await update(id, changes) }
        return try await updateKeepingAnActiveAdmin(id, changes, to: "remove its admin role")
    }

    /// Lock, unlock, deactivate, delete or restore. Any status but ACTIVE ends the user's sessions;
    /// ACTIVE also lifts a temporary lockout. Admins cannot lock themselves out.
    @discardableResult
    public func setStatus(actor: Actor, id: Int64, status: UserStatus) async throws -> User {
        try requireAdmin(actor, "change a user's status")
        try await requireActiveCaller(actor, to: "change a user's status", asAdmin: true)
        if actor.userId == id, status != .active {
            throw AppError.forbidden("an admin cannot set their own account to \(status.rawValue)")
        }
        return try await applyStatus(id: id, status: status)
    }

    public func countUsers() async throws -> Int {
        try await repository.countUsers()
    }

    // MARK: - Helpers shared with the session half

    /// The checks a new account's fields must pass, without the store: the CLI asks before it
    /// starts a data dir for the account, so a refused one leaves nothing behind.
    public static func validateNewUser(email: String, password: String, name: String, phoneNumber: String?, address: String?) throws {
        let phone = phoneNumber.map(trimmed).flatMap(nilIfEmpty)
        let address = address.map(trimmed).flatMap(nilIfEmpty)
        var v = Validator()
        checkEmail(normalizedEmail(email), &v)
        checkPassword(password, field: "password", &v)
        checkName(trimmed(name), &v)
        v.check((phone?.count ?? 0) <= 20, "phoneNumber", "phone number must be at most 20 characters")
        v.check((address?.count ?? 0) <= 500, "address", "address must be at most 500 characters")
        v.checkPrintable(phone, "phoneNumber")
        v.checkPrintable(address, "address")
        try v.throwIfInvalid()
    }

    private func insert(email: String, password: String, name: String, phoneNumber: String?, address: String?,
                        roles: [Role], status: UserStatus) async throws -> User {
        try Self.validateNewUser(email: email, password: password, name: name, phoneNumber: phoneNumber, address: address)
        let email = Self.normalizedEmail(email)
        let name = Self.trimmed(name)
        let phone = phoneNumber.map(Self.trimmed).flatMap(Self.nilIfEmpty)
        let address = address.map(Self.trimmed).flatMap(Self.nilIfEmpty)

        // Fails fast before the slow hash; the store's unique index still decides races.
        if try await repository.user(email: email) != nil { throw AppError.conflict("email already registered") }
        let hash = try await PasswordHashing.hash(password, cost: bcryptCost, gate: passwordGate)
        return try await repository.insertUser(NewUser(
            email: email, passwordHash: hash, name: name, phoneNumber: phone, address: address,
            status: status, roles: Self.canonical(roles), createdAt: clock.now()))
    }

    private func applyStatus(id: Int64, status: UserStatus) async throws -> User {
        let now = clock.now()
        let changes = UserChanges(updatedAt: now, status: status)
        let user = status == .active ? try await update(id, changes)
            : try await updateKeepingAnActiveAdmin(id, changes, to: status == .deleted ? "delete it" : "set it to \(status.rawValue)")
        if status == .active {
            try await repository.resetFailedLogins(userId: id)
            return try await repository.user(id: id)?.user ?? user
        }
        try await repository.revokeRefreshTokens(userId: id, at: now)
        return user
    }

    func accessibleUser(actor: Actor, id: Int64) async throws -> StoredUser {
        guard actor.mayAccess(ownerId: id), let stored = try await repository.user(id: id) else {
            throw AppError.notFound("user \(id) not found")
        }
        return stored
    }

    private func update(_ id: Int64, _ changes: UserChanges) async throws -> User {
        guard let user = try await repository.updateUser(id: id, changes) else {
            throw AppError.notFound("user \(id) not found")
        }
        return user
    }

    /// Access tokens are stateless and live 5 minutes; only an ACTIVE account can log in, so a
    /// token of an account locked, deactivated or deleted since is a leftover, and so are the
    /// roles in a token issued before its admin role was taken away. Changes made with one are
    /// refused (403) by reading the caller's account as it is now: one indexed read, on writes
    /// only. `asAdmin`: the change needs the admin role (else a demoted admin could, for the rest of
    /// the token's life, give it back to themselves and keep it). Reads stay open to such a token,
    /// as they are on the other services, which would have to ask this one. `own`: the caller's
    /// row, when already read. An actor that is no user (the services themselves, the command
    /// line) passes.
    public func requireActiveCaller(_ actor: Actor, to action: String, asAdmin: Bool = false, own: User? = nil) async throws {
        guard let userId = actor.userId else { return }   // the services themselves, the command line
        let caller = own?.id == userId ? own : try await repository.user(id: userId)?.user
        guard let caller, caller.status == .active else {
            throw AppError.forbidden("your account is \(caller?.status.rawValue ?? "gone"); only an ACTIVE account can \(action)")
        }
        if asAdmin, !caller.roles.contains(.admin) {
            throw AppError.forbidden("your account is no longer an admin; only administrators may \(action)")
        }
    }

    private func requireAdmin(_ actor: Actor, _ action: String) throws {
        guard actor.isAdmin else { throw AppError.forbidden("only administrators may \(action)") }
    }

    private static func requireNotDeleted(_ user: User) throws {
        if user.status == .deleted { throw AppError.conflict("user \(user.id) is deleted") }
    }

    /// Trimmed, lowercased and in Unicode's compatibility-composed form (NFKC), so `josé` typed
    /// with a composed or a decomposed `é` is one account, a login finds it either way, and a
    /// fullwidth `ａdmin@…` is the same address as `admin@…`, not a look-alike second account.
    static func normalizedEmail(_ email: String) -> String {
        email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased().precomposedStringWithCompatibilityMapping
    }

    private static func trimmed(_ s: String) -> String { s.trimmingCharacters(in: .whitespacesAndNewlines) }
    private static func nilIfEmpty(_ s: String) -> String? { s.isEmpty ? nil : s }
    private static func canonical(_ roles: [Role]) -> [Role] { Array(Set(roles)).sorted() }

    /// A shape check only: whether the mailbox exists is for a verification email to find out.
    /// The rules of an unquoted address (RFC 5322 dot-atom, as Spring's `@Email` takes it), with
    /// letters and digits of any script allowed (RFC 6531): so no `<`, `>`, quotes, spaces,
    /// control or invisible formatting characters (bidi overrides), which would only ever come
    /// back to confuse a screen or a log.
    private static func checkEmail(_ email: String, _ v: inout Validator) {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        let shaped = parts.count == 2 && isDotAtom(parts[0], allowing: localPunctuation)
            && parts[1].split(separator: ".", omittingEmptySubsequences: false).count >= 2
            && parts[1].split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isDomainLabel)
        v.check(shaped && email.unicodeScalars.count <= 254 && parts[0].utf8.count <= 64, "email", "email must be a valid address")
    }

    private static let localPunctuation = Set("!#$%&'*+/=?^_`{|}~-")

    private static func isLetterOrDigit(_ c: Character) -> Bool {
        c.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType == .decimal || $0.properties.isDiacritic }
            && !c.unicodeScalars.contains { $0.properties.generalCategory == .format }
    }

    private static func isDotAtom(_ text: Substring, allowing punctuation: Set<Character>) -> Bool {
        let atoms = text.split(separator: ".", omittingEmptySubsequences: false)
        return atoms.allSatisfy { atom in !atom.isEmpty && atom.allSatisfy { isLetterOrDigit($0) || punctuation.contains($0) } }
    }

    private static func isDomainLabel(_ label: Substring) -> Bool {
        (1...63).contains(label.count) && label.first != "-" && label.last != "-"
            && label.allSatisfy { isLetterOrDigit($0) || $0 == "-" }
    }

    private static func checkPassword(_ password: String, field: String, _ v: inout Validator) {
        v.check(password.unicodeScalars.count >= 8, field, "password must be at least 8 characters")
        // bcrypt ignores everything past 72 bytes; refusing beats silently weaker passwords.
        v.check(password.utf8.count <= 72, field, "password must be at most 72 bytes")
    }

    /// Lengths here are counted in code points, as JSON Schema's minLength and maxLength in
    /// /openapi.json count them (`e` and a combining accent are two), not in characters shown.
    private static func checkName(_ name: String, _ v: inout Validator) {
        v.check((2...100).contains(name.unicodeScalars.count), "name", "name must be 2 to 100 characters")
        v.checkPrintable(name, "name")
    }
}
