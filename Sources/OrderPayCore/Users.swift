import Foundation

public enum Role: String, Codable, CaseIterable, Sendable, Comparable {
    case user = "ROLE_USER"
    case admin = "ROLE_ADMIN"

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Accepts "ROLE_ADMIN", "admin", "ADMIN".
    public init?(loose text: String) {
        let upper = text.uppercased()
        self.init(rawValue: upper.hasPrefix("ROLE_") ? upper : "ROLE_" + upper)
    }

    /// Loosely, as `init(loose:)`, wherever a role is read (a new user's roles, a roles change);
    /// written always as `ROLE_…`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let role = Role(loose: text) else {
            // Worded as Foundation words an unknown case, which the HTTP layer turns into
            // "unknown value '…'; expected one of …".
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "Cannot initialize Role from invalid String value \(text)")
        }
        self = role
    }
}

public enum UserStatus: String, Codable, CaseIterable, Sendable {
    case active = "ACTIVE", inactive = "INACTIVE", locked = "LOCKED"
    case pendingVerification = "PENDING_VERIFICATION", deleted = "DELETED"
}

public struct User: Codable, Equatable, Sendable {
    public var id: Int64
    public var email: String
    public var name: String
    public var phoneNumber: String?
    public var address: String?
    public var profileImageUrl: String?
    public var status: UserStatus
    public var roles: [Role]
    public var createdAt: Date
    public var updatedAt: Date
    public var lastPasswordChangeAt: Date?
    /// While set and in the future, the account is locked after repeated wrong passwords.
    public var lockedUntil: Date?

    public init(id: Int64, email: String, name: String, phoneNumber: String? = nil, address: String? = nil,
                profileImageUrl: String? = nil, status: UserStatus = .active, roles: [Role] = [.user],
                createdAt: Date, updatedAt: Date, lastPasswordChangeAt: Date? = nil, lockedUntil: Date? = nil) {
        self.id = id; self.email = email; self.name = name; self.phoneNumber = phoneNumber
        self.address = address; self.profileImageUrl = profileImageUrl; self.status = status
        self.roles = roles; self.createdAt = createdAt; self.updatedAt = updatedAt
        self.lastPasswordChangeAt = lastPasswordChangeAt; self.lockedUntil = lockedUntil
    }

    public var isAdmin: Bool { roles.contains(.admin) }
}

/// Who performs an operation. Services decide authorization from this, never from the caller's say-so.
public struct Actor: Sendable, Equatable, CustomStringConvertible {
    public let userId: Int64?
    public let email: String
    public let roles: Set<Role>

    public init(userId: Int64?, email: String, roles: Set<Role>) {
        self.userId = userId; self.email = email; self.roles = roles
    }

    public init(_ user: User) { self.init(userId: user.id, email: user.email, roles: Set(user.roles)) }

    /// The services themselves, acting on events.
    public static func system(_ name: String) -> Actor { Actor(userId: nil, email: name, roles: [.admin]) }

    public var isAdmin: Bool { roles.contains(.admin) }
    public var description: String { email }

    public func mayAccess(ownerId: Int64) -> Bool { isAdmin || userId == ownerId }
}

public struct PageRequest: Sendable, Equatable {
    public static let maxSize = 200
    public let page: Int
    public let size: Int

    public init(page: Int = 0, size: Int = 20) {
        // The page as asked (it is echoed in the answer), not clamped to keep `offset` from
        // overflowing: `offset` saturates instead.
        self.page = max(0, page)
        self.size = min(max(1, size), PageRequest.maxSize)
    }

    /// Rows to skip. A page whose first row lies past Int64 saturates at Int.max: no table is
    /// that long, so the page is empty, as any page past the end is.
    public var offset: Int {
        let (product, overflow) = page.multipliedReportingOverflow(by: size)
        return overflow ? Int.max : product
    }
}

/// A page of results, shaped like Spring Data's page so the seed's clients keep working.
public struct Page<Element: Codable & Sendable>: Codable, Sendable {
    public let content: [Element]
    public let page: Int
    public let size: Int
    public let totalElements: Int
    public let totalPages: Int

    public init(content: [Element], request: PageRequest, total: Int) {
        self.content = content
        self.page = request.page
        self.size = request.size
        self.totalElements = total
        self.totalPages = total == 0 ? 0 : (total + request.size - 1) / request.size
    }
}
