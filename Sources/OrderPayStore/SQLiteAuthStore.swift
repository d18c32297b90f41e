import Foundation
import GRDB
import OrderPayCore
import OrderPayServices

/// The Auth service's SQLite database: users and refresh-token hashes.
public final class SQLiteAuthStore: AuthRepository {
    private let pool: DatabasePool
    /// Every write (logins and refreshes write too): concurrent ones share a commit and its flush.
    private let writes: GroupCommitter

    public init(path: String, settings: SQLiteDatabase.Settings = .init()) throws {
        pool = try SQLiteDatabase.open(path: path, settings: settings, migrator: Self.migrator)
        writes = GroupCommitter(pool: pool)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            // Roles are comma-separated text: a user has one or two, and a join table would buy nothing.
            try db.execute(sql: """
                CREATE TABLE users (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    password_hash TEXT NOT NULL,
                    name TEXT NOT NULL,
                    phone_number TEXT,
                    address TEXT,
                    profile_image_url TEXT,
                    status TEXT NOT NULL,
                    roles TEXT NOT NULL,
                    failed_login_count INTEGER NOT NULL DEFAULT 0,
                    locked_until REAL,
                    last_password_change_at REAL,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE INDEX users_newest ON users (created_at DESC, id DESC);
                CREATE TABLE refresh_tokens (
                    token_hash TEXT PRIMARY KEY,
                    user_id INTEGER NOT NULL REFERENCES users (id),
                    family_id TEXT NOT NULL,
                    issued_at REAL NOT NULL,
                    expires_at REAL NOT NULL,
                    used_at REAL,
                    revoked_at REAL
                );
                CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
                CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
                """)
        }
        return migrator
    }

    // MARK: Users

    public func insertUser(_ user: NewUser) async throws -> User {
        try await writes.write { db in
            try translatingConstraintErrors("email already registered") {
                try db.run("""
                        INSERT INTO users (email, password_hash, name, phone_number, address, profile_image_url,
                                           status, roles, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [user.email, user.passwordHash, user.name, user.phoneNumber, user.address,
                                user.profileImageUrl, user.status.rawValue, Self.encode(user.roles),
                                user.createdAt.storageValue, user.createdAt.storageValue])
            }
            return try Self.fetchUser(db, id: db.lastInsertedRowID)!.user
        }
    }

    public func user(id: Int64) async throws -> StoredUser? {
        try pool.readNow { db in try Self.fetchUser(db, id: id) }
    }

    public func user(email: String) async throws -> StoredUser? {
        try pool.readNow { db in
            try db.row("SELECT * FROM users WHERE email = ?", [email]).map(Self.storedUser)
        }
    }

    public func listUsers(filter: UserFilter, page: PageRequest) async throws -> Page<User> {
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let status = filter.status {
            conditions.append("status = ?")
            arguments += [status.rawValue]
        }
        if let role = filter.role {
            // Delimiters on both sides so one role name can never match inside another.
            conditions.append("(',' || roles || ',') LIKE ?")
            arguments += ["%,\(role.rawValue),%"]
        }
        if let text = filter.text, !text.isEmpty {
            // LIKE ignores case for ASCII only: good enough for emails and most names.
            conditions.append(#"(name LIKE ? ESCAPE '\' OR email LIKE ? ESCAPE '\')"#)
            let pattern = "%" + Self.escapeLike(text) + "%"
            arguments += [pattern, pattern]
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let filterArguments = arguments
        return try await pool.readAwaited { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users \(whereClause)", arguments: filterArguments) ?? 0
            let pageArguments = filterArguments + [page.size, page.offset]
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM users \(whereClause) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                arguments: pageArguments)
            return Page(content: rows.map { Self.storedUser($0).user }, request: page, total: total)
        }
    }

    public func updateUser(id: Int64, _ changes: UserChanges) async throws -> User? {
        try await writes.write { db in try Self.update(db, id: id, changes) }
    }

    public func updateUserKeepingAnActiveAdmin(id: Int64, _ changes: UserChanges) async throws -> KeptAdminUpdate {
        // One writer at a time: the count and the update see no other write in between.
        try await writes.write { db in
            guard let current = try Self.fetchUser(db, id: id)?.user else { return .notFound }
            if current.isAdmin, current.status == .active {
                let others = try db.row("""
                    SELECT COUNT(*) AS n FROM users WHERE id != ? AND status = ? AND (',' || roles || ',') LIKE ?
                    """, arguments: [id, UserStatus.active.rawValue, "%,\(Role.admin.rawValue),%"])?["n"] as Int? ?? 0
                if others == 0 { return .lastActiveAdmin(current) }
            }
            return try Self.update(db, id: id, changes).map(KeptAdminUpdate.updated) ?? .notFound
        }
    }

    /// Applies only the fields that are set, in one statement, so two admins editing different
    /// fields do not overwrite each other.
    private static func update(_ db: Database, id: Int64, _ changes: UserChanges) throws -> User? {
        var assignments = ["updated_at = ?"]
        var arguments: [(any DatabaseValueConvertible)?] = [changes.updatedAt.storageValue]
        func set(_ column: String, _ value: (any DatabaseValueConvertible)?) {
            assignments.append("\(column) = ?")
            arguments.append(value)
        }
        if let name = changes.name { set("name", name) }
        if let phone = changes.phoneNumber { set("phone_number", phone) }
        if let address = changes.address { set("address", address) }
        if let image = changes.profileImageUrl { set("profile_image_url", image) }
        if let status = changes.status { set("status", status.rawValue) }
        if let roles = changes.roles { set("roles", encode(roles)) }
        if let hash = changes.passwordHash { set("password_hash", hash) }
        if let changedAt = changes.lastPasswordChangeAt { set("last_password_change_at", changedAt.storageValue) }
        arguments.append(id)
        try db.run("UPDATE users SET \(assignments.joined(separator: ", ")) WHERE id = ?", SQLArguments(arguments))
        guard db.changesCount > 0 else { return nil }
        return try fetchUser(db, id: id)?.user
    }

    public func beginPasswordAttempt(userId: Int64, limit: Int, now: Date, lockUntil: Date) async throws -> PasswordAttempt {
        try await writes.write { db in
            let row = try db.row("SELECT failed_login_count, locked_until FROM users WHERE id = ?", arguments: [userId])
            if let until = row?.optionalDate("locked_until"), until > now { return .locked(until: until) }
            let count = (row?["failed_login_count"] as Int? ?? 0) + 1
            guard count <= limit else {
                try db.run("UPDATE users SET failed_login_count = 0, locked_until = ? WHERE id = ?",
                           arguments: [lockUntil.storageValue, userId])
                return .locked(until: lockUntil)
            }
            try db.run("UPDATE users SET failed_login_count = ? WHERE id = ?", arguments: [count, userId])
            return .allowed(number: count)
        }
    }

    public func lockAccount(userId: Int64, until: Date) async throws {
        try await writes.write { db in
            try db.run("UPDATE users SET failed_login_count = 0, locked_until = ? WHERE id = ?", arguments: [until.storageValue, userId])
        }
    }

    public func resetFailedLogins(userId: Int64) async throws {
        try await writes.write { db in
            try db.run("UPDATE users SET failed_login_count = 0, locked_until = NULL WHERE id = ?",
                           arguments: [userId])
        }
    }

    public func countUsers() async throws -> Int {
        try pool.readNow { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? 0 }
    }

    // MARK: Refresh tokens

    public func insertRefreshToken(_ token: RefreshTokenRecord) async throws {
        try await writes.write { db in
            try translatingConstraintErrors("refresh token already exists") {
                try db.run("""
                        INSERT INTO refresh_tokens (token_hash, user_id, family_id, issued_at, expires_at, used_at, revoked_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [token.tokenHash, token.userId, token.familyId, token.issuedAt.storageValue,
                                token.expiresAt.storageValue, token.usedAt?.storageValue, token.revokedAt?.storageValue])
            }
        }
    }

    public func refreshToken(hash: String) async throws -> RefreshTokenRecord? {
        try pool.readNow { db in
            try db.row("SELECT * FROM refresh_tokens WHERE token_hash = ?", [hash]).map { row in
                RefreshTokenRecord(tokenHash: row["token_hash"], userId: row["user_id"], familyId: row["family_id"],
                                   issuedAt: row.date("issued_at"), expiresAt: row.date("expires_at"),
                                   usedAt: row.optionalDate("used_at"), revokedAt: row.optionalDate("revoked_at"))
            }
        }
    }

    public func markRefreshTokenUsed(hash: String, at: Date) async throws -> Bool {
        try await writes.write { db in
            try db.run("UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL",
                arguments: [at.storageValue, hash])
            return db.changesCount == 1
        }
    }

    public func revokeRefreshTokenFamily(_ familyId: String, at: Date) async throws {
        try await writes.write { db in
            try db.run("UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
                           arguments: [at.storageValue, familyId])
        }
    }

    public func revokeRefreshTokens(userId: Int64, at: Date) async throws {
        try await writes.write { db in
            try db.run("UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                           arguments: [at.storageValue, userId])
        }
    }

    // MARK: Mapping

    private static func fetchUser(_ db: Database, id: Int64) throws -> StoredUser? {
        try db.row("SELECT * FROM users WHERE id = ?", [id]).map(storedUser)
    }

    private static func storedUser(_ row: Row) -> StoredUser {
        let user = User(
            id: row["id"], email: row["email"], name: row["name"], phoneNumber: row["phone_number"],
            address: row["address"], profileImageUrl: row["profile_image_url"],
            // An unknown status (written by a newer version) must never count as ACTIVE.
            status: UserStatus(rawValue: row["status"]) ?? .inactive,
            roles: decodeRoles(row["roles"]),
            createdAt: row.date("created_at"), updatedAt: row.date("updated_at"),
            lastPasswordChangeAt: row.optionalDate("last_password_change_at"),
            lockedUntil: row.optionalDate("locked_until"))
        return StoredUser(user: user, passwordHash: row["password_hash"])
    }

    private static func encode(_ roles: [Role]) -> String { roles.map(\.rawValue).joined(separator: ",") }

    private static func decodeRoles(_ text: String) -> [Role] {
        text.split(separator: ",").compactMap { Role(rawValue: String($0)) }
    }

    private static func escapeLike(_ text: String) -> String {
        text.replacingOccurrences(of: #"\"#, with: #"\\"#)
            .replacingOccurrences(of: "%", with: #"\%"#)
            .replacingOccurrences(of: "_", with: #"\_"#)
    }
}
