import Foundation
import OrderPayCore

// Wire shapes of request bodies that have no DTO in the services (the services take these values
// as plain arguments). DTOs the services define (SignupRequest, PlaceOrderRequest…) are used as is.

public struct LoginRequest: Codable, Sendable, Equatable {
    public var email: String
    public var password: String
    public init(email: String, password: String) { self.email = email; self.password = password }
}

public struct RefreshTokenRequest: Codable, Sendable, Equatable {
    public var refreshToken: String
    public init(refreshToken: String) { self.refreshToken = refreshToken }
}

/// Roles as `ROLE_ADMIN` or the short `admin` (see `Role`); an unknown role is a 400 naming `roles[i]`.
public struct ChangeRolesRequest: Codable, Sendable, Equatable {
    public var roles: [Role]
    public init(roles: [Role]) { self.roles = roles }
}

public struct ChangeStatusRequest: Codable, Sendable, Equatable {
    public var status: UserStatus
    public init(status: UserStatus) { self.status = status }
}

/// Create or replace a catalog product. On replace, an absent `active` keeps the current value.
public struct ProductRequest: Codable, Sendable, Equatable {
    public var sku: String
    public var name: String
    public var unitPrice: Money
    public var active: Bool?

    public init(sku: String, name: String, unitPrice: Money, active: Bool? = nil) {
        self.sku = sku; self.name = name; self.unitPrice = unitPrice; self.active = active
    }
}

public struct CancelOrderRequest: Codable, Sendable, Equatable {
    public var reason: String?
    public init(reason: String? = nil) { self.reason = reason }
}

public struct RetryPaymentRequest: Codable, Sendable, Equatable {
    public var paymentToken: String?
    public init(paymentToken: String? = nil) { self.paymentToken = paymentToken }
}

public struct RefundRequest: Codable, Sendable, Equatable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
}
