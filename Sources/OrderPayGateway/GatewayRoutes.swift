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
        switch withoutTrailingSlashes(path) {
        case "/api/auth/signup", "/api/auth/login", "/api/auth/refresh": return method == "POST"
        case "/health", "/openapi.json", "/metrics": return true
        default: return false
        }
    }

    /// `path` without the slashes it ends in (`/health/` is `/health`; `/` stays): the services'
    /// router ignores them (`/api/orders/1/` is order 1), so the gateway's own routes and its
    /// public paths do too. The path itself is returned, with no copy, when it ends otherwise.
    static func withoutTrailingSlashes(_ path: String) -> Substring {
        guard path.utf8.count > 1, path.utf8.last == UInt8(ascii: "/") else { return path[...] }
        var end = path.endIndex
        while end > path.index(after: path.startIndex), path[path.index(before: end)] == "/" { end = path.index(before: end) }
        return path[..<end]
    }
}
