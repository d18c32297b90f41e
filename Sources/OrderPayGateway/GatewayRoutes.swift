import Foundation

/// Which service answers which path, and which paths need no token.
public enum GatewayRoutes {
    public static let table: [(prefix: String, app: String)] = [
        ("/api/auth", "AUTH-SERVICE"), ("/api/users", "AUTH-SERVICE"),
        ("/api/orders", "ORDER-SERVICE"), ("/api/products", "ORDER-SERVICE"),
        ("/api/payments", "PAYMENT-SERVICE"),
        ("/api/events", "ORDER-SERVICE"),
    ]

    public static func app(for path: String) -> String? { route(for: path)?.app }

    /// The table's entry for `path`: its prefix, then the end of the path or a slash (no
    /// "prefix/" string built per entry).
    static func route(for path: String) -> (prefix: String, app: String)? {
        table.first { path.hasPrefix($0.prefix) && path.utf8.dropFirst($0.prefix.utf8.count).first.map { $0 == UInt8(ascii: "/") } ?? true }
    }

    /// Signup, login and refresh are public (the refresh token is the credential); so are
    /// health and API documents.
    public static func isPublic(method: String, path: String) -> Bool {
        // A switch, not array literals: this runs on every request.
        switch path {
        case "/api/auth/signup", "/api/auth/login", "/api/auth/refresh": return method == "POST"
        case "/health", "/openapi.json", "/metrics": return true
        default: return false
        }
    }
}
