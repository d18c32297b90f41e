import Foundation
import Logging
import OrderPayCore
import OrderPayServices
import PostgresNIO

/// The Auth service's tables in schema `auth`: users and refresh-token hashes. The few
/// read-modify-write steps the protocol names are single statements, atomic under any number of
/// instances.
public final class PostgresAuthStore: AuthRepository, @unchecked Sendable {
    let database: PostgresDatabase

    public static func open(_ database: PostgresDatabase) async throws -> PostgresAuthStore {
        var migrations = PostgresMigrations(schema: "auth")
        migrations.add("v1", [
            """
            CREATE TABLE auth.users (
                id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL, password_hash TEXT NOT NULL, name TEXT NOT NULL,
                phone_number TEXT, address TEXT, profile_image_url TEXT, status TEXT NOT NULL, roles TEXT NOT NULL,
                failed_login_count INTEGER NOT NULL DEFAULT 0, locked_until TIMESTAMPTZ, last_password_change_at TIMESTAMPTZ,
                created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL)
            """,
            "CREATE UNIQUE INDEX users_email ON auth.users (lower(email))",
            "CREATE INDEX users_newest ON auth.users (created_at DESC, id DESC)",
            """
            CREATE TABLE auth.refresh_tokens (
                token_hash TEXT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES auth.users (id), family_id TEXT NOT NULL,
                issued_at TIMESTAMPTZ NOT NULL, expires_at TIMESTAMPTZ NOT NULL, used_at TIMESTAMPTZ, revoked_at TIMESTAMPTZ)
            """,
            "CREATE INDEX refresh_tokens_family ON auth.refresh_tokens (family_id)",
            "CREATE INDEX refresh_tokens_user ON auth.refresh_tokens (user_id)",
        ])
        try await migrations.apply(on: database)
        return PostgresAuthStore(database: database)
    }

    init(database: PostgresDatabase) { self.database = database }

    // MARK: Users

    public func insertUser(_ user: NewUser) async throws -> User {
        let rows = try await conflictAs("email already registered") {
            try await database.rows("""
                INSERT INTO auth.users (email, password_hash, name, phone_number, address, profile_image_url, status, roles,
                                        created_at, updated_at)
                VALUES (\(user.email), \(user.passwordHash), \(user.name), \(user.phoneNumber), \(user.address),
                        \(user.profileImageUrl), \(user.status.rawValue), \(Self.encode(user.roles)), \(user.createdAt), \(user.createdAt))
                RETURNING *
                """)
        }
        return try Self.storedUser(rows[0]).user
    }

    public func user(id: Int64) async throws -> StoredUser? {
        try await database.read("SELECT * FROM auth.users WHERE id = \(id)").first.map(Self.storedUser)
    }

    public func user(email: String) async throws -> StoredUser? {
        try await database.read("SELECT * FROM auth.users WHERE lower(email) = lower(\(email))").first.map(Self.storedUser)
    }

    public func listUsers(filter: UserFilter, page: PageRequest) async throws -> Page<User> {
        let status = filter.status?.rawValue
        // Delimiters on both sides so one role name can never match inside another.
        let role = filter.role.map { "%,\($0.rawValue),%" }
        let text = filter.text.flatMap { $0.isEmpty ? nil : "%" + Self.escapeLike($0) + "%" }
        let logger = database.logger
        return try await database.withConnection(rerun: .ifDropped) { connection in
            let total: Int64 = try await connection.rows("""
                SELECT COUNT(*)::bigint AS total FROM auth.users
                WHERE (\(status)::text IS NULL OR status = \(status)) AND (\(role)::text IS NULL OR (',' || roles || ',') LIKE \(role))
                  AND (\(text)::text IS NULL OR name ILIKE \(text) OR email ILIKE \(text))
                """, logger: logger)[0].value("total")
            let rows = try await connection.rows("""
                SELECT * FROM auth.users
                WHERE (\(status)::text IS NULL OR status = \(status)) AND (\(role)::text IS NULL OR (',' || roles || ',') LIKE \(role))
                  AND (\(text)::text IS NULL OR name ILIKE \(text) OR email ILIKE \(text))
                ORDER BY created_at DESC, id DESC LIMIT \(page.size) OFFSET \(page.offset)
                """, logger: logger)
            return Page(content: try rows.map { try Self.storedUser($0).user }, request: page, total: Int(total))
        }
    }

    public func updateUser(id: Int64, _ changes: UserChanges) async throws -> User? {
        try await database.rows(Self.updateQuery(id: id, changes)).first.map { try Self.storedUser($0).user }
    }

    public func updateUserKeepingAnActiveAdmin(id: Int64, _ changes: UserChanges) async throws -> KeptAdminUpdate {
        let logger = database.logger
        let admin = "%,\(Role.admin.rawValue),%", active = UserStatus.active.rawValue
        return try await database.transaction { connection in
            // Every such change takes this lock first, so the count below cannot miss another
            // one's demotion: under READ COMMITTED each statement sees what committed before it.
            // Set here, whatever the server's default: under REPEATABLE READ the snapshot would
            // be taken before the wait for the lock, and two demotions would both pass.
            try await connection.queryIfOpen("SET TRANSACTION ISOLATION LEVEL READ COMMITTED", logger: logger)
            try await connection.queryIfOpen("SELECT pg_advisory_xact_lock(hashtext('orderpay-auth-last-admin'))", logger: logger)
            guard let row = try await connection.rows("SELECT * FROM auth.users WHERE id = \(id)", logger: logger).first else {
                return .notFound
            }
            let current = try Self.storedUser(row).user
            if current.isAdmin, current.status == .active {
                let others: Int64 = try await connection.rows("""
                    SELECT COUNT(*)::bigint AS n FROM auth.users
                    WHERE id <> \(id) AND status = \(active) AND (',' || roles || ',') LIKE \(admin)
                    """, logger: logger)[0].value("n")
                if others == 0 { return .lastActiveAdmin(current) }
            }
            let updated = try await connection.rows(Self.updateQuery(id: id, changes), logger: logger).first
            return try updated.map { .updated(try Self.storedUser($0).user) } ?? .notFound
        }
    }

    /// One UPDATE naming only the set fields: two admins editing different fields both win.
    private static func updateQuery(id: Int64, _ changes: UserChanges) throws -> PostgresQuery {
        var assignments: [String] = []
        var binds = PostgresBindings()
        func set<Value: PostgresEncodable>(_ column: String, _ value: Value?) throws {
            if let value { try binds.append(value) } else { binds.appendNull() }
            assignments.append("\(column) = $\(binds.count)")
        }
        try set("updated_at", changes.updatedAt)
        if let name = changes.name { try set("name", name) }
        if let phone = changes.phoneNumber { try set("phone_number", phone) }
        if let address = changes.address { try set("address", address) }
        if let image = changes.profileImageUrl { try set("profile_image_url", image) }
        if let status = changes.status { try set("status", status.rawValue) }
        if let roles = changes.roles { try set("roles", encode(roles)) }
        if let hash = changes.passwordHash { try set("password_hash", hash) }
        if let changedAt = changes.lastPasswordChangeAt { try set("last_password_change_at", changedAt) }
        binds.append(id)
        return PostgresQuery(unsafeSQL: "UPDATE auth.users SET \(assignments.joined(separator: ", ")) WHERE id = $\(binds.count) RETURNING *",
                             binds: binds)
    }

    public func beginPasswordAttempt(userId: Int64, limit: Int, now: Date, lockUntil: Date) async throws -> PasswordAttempt {
        // One statement: concurrent attempts each take their own number, and past the limit the
        // first sets the lock the others then meet.
        let rows = try await database.rows("""
            UPDATE auth.users SET
                failed_login_count = CASE WHEN locked_until > \(now) THEN failed_login_count
                                          WHEN failed_login_count + 1 > \(limit) THEN 0 ELSE failed_login_count + 1 END,
                locked_until = CASE WHEN locked_until > \(now) THEN locked_until
                                    WHEN failed_login_count + 1 > \(limit) THEN \(lockUntil) ELSE locked_until END
            WHERE id = \(userId)
            RETURNING failed_login_count, locked_until
            """)
        guard let row = rows.first else { return .allowed(number: 1) }
        if let until: Date = try row.value("locked_until"), until > now { return .locked(until: until) }
        return .allowed(number: Int(try row.value("failed_login_count", as: Int32.self)))
    }

    public func lockAccount(userId: Int64, until: Date) async throws {
        try await database.execute("UPDATE auth.users SET failed_login_count = 0, locked_until = \(until) WHERE id = \(userId)")
    }

    public func resetFailedLogins(userId: Int64) async throws {
        try await database.execute("UPDATE auth.users SET failed_login_count = 0, locked_until = NULL WHERE id = \(userId)")
    }

    public func countUsers() async throws -> Int {
        Int(try await database.read("SELECT COUNT(*)::bigint AS n FROM auth.users")[0].value("n", as: Int64.self))
    }

    // MARK: Refresh tokens

    public func insertRefreshToken(_ token: RefreshTokenRecord) async throws {
        try await conflictAs("refresh token already exists") {
            try await database.execute("""
                INSERT INTO auth.refresh_tokens (token_hash, user_id, family_id, issued_at, expires_at, used_at, revoked_at)
                VALUES (\(token.tokenHash), \(token.userId), \(token.familyId), \(token.issuedAt), \(token.expiresAt),
                        \(token.usedAt), \(token.revokedAt))
                """)
        }
    }

    public func refreshToken(hash: String) async throws -> RefreshTokenRecord? {
        try await database.read("SELECT * FROM auth.refresh_tokens WHERE token_hash = \(hash)").first.map { row in
            RefreshTokenRecord(tokenHash: try row.value("token_hash"), userId: try row.value("user_id"), familyId: try row.value("family_id"),
                               issuedAt: try row.value("issued_at"), expiresAt: try row.value("expires_at"),
                               usedAt: try row.optional("used_at"), revokedAt: try row.optional("revoked_at"))
        }
    }

    public func markRefreshTokenUsed(hash: String, at: Date) async throws -> Bool {
        !(try await database.rows("""
            UPDATE auth.refresh_tokens SET used_at = \(at) WHERE token_hash = \(hash) AND used_at IS NULL AND revoked_at IS NULL
            RETURNING token_hash
            """)).isEmpty
    }

    public func revokeRefreshTokenFamily(_ familyId: String, at: Date) async throws {
        try await database.execute("UPDATE auth.refresh_tokens SET revoked_at = \(at) WHERE family_id = \(familyId) AND revoked_at IS NULL")
    }

    public func revokeRefreshTokens(userId: Int64, at: Date) async throws {
        try await database.execute("UPDATE auth.refresh_tokens SET revoked_at = \(at) WHERE user_id = \(userId) AND revoked_at IS NULL")
    }

    // MARK: Mapping

    static func storedUser(_ row: PostgresRandomAccessRow) throws -> StoredUser {
        let user = User(
            id: try row.value("id"), email: try row.value("email"), name: try row.value("name"), phoneNumber: try row.optional("phone_number"),
            address: try row.optional("address"), profileImageUrl: try row.optional("profile_image_url"),
            // An unknown status (written by a newer version) must never count as ACTIVE.
            status: try row.status("status", as: UserStatus.self, default: .inactive),
            roles: decodeRoles(try row.value("roles")),
            createdAt: try row.value("created_at"), updatedAt: try row.value("updated_at"),
            lastPasswordChangeAt: try row.optional("last_password_change_at"),
            lockedUntil: try row.optional("locked_until"))
        return StoredUser(user: user, passwordHash: try row.value("password_hash"))
    }

    static func encode(_ roles: [Role]) -> String { roles.map(\.rawValue).joined(separator: ",") }

    static func decodeRoles(_ text: String) -> [Role] {
        text.split(separator: ",").compactMap { Role(rawValue: String($0)) }
    }

    static func escapeLike(_ text: String) -> String {
        text.replacingOccurrences(of: #"\"#, with: #"\\"#)
            .replacingOccurrences(of: "%", with: #"\%"#)
            .replacingOccurrences(of: "_", with: #"\_"#)
    }
}
