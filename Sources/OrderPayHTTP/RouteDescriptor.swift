import Hummingbird
import OrderPayServices

/// Who may call a route. The token service rides along so mounting can install the check.
public enum RouteAccess: Sendable {
    /// No token needed.
    case anonymous
    /// Any valid access token.
    case user(TokenService)
    /// A valid access token with ROLE_ADMIN (403 otherwise).
    case admin(TokenService)

    public var name: String {
        switch self {
        case .anonymous: "anonymous"
        case .user: "user"
        case .admin: "admin"
        }
    }
}

/// A query or header parameter, as documented.
public struct ParameterDoc: Sendable {
    public enum Kind: String, Sendable { case string, integer, boolean }
    public var name: String
    public var kind: Kind
    public var description: String
    public var allowed: [String]
    public var required: Bool
    /// The longest value accepted (the rule itself is the service's).
    public var maxLength: Int?
    /// An integer's range; any 64-bit integer when nil (values outside a route's range are
    /// clamped or refused there, as its description says).
    public var range: ClosedRange<Int>?
    /// What a string must match; text without control characters when nil (every query
    /// parameter refuses them).
    public var pattern: String?

    public init(_ name: String, _ kind: Kind, _ description: String, allowed: [String] = [], required: Bool = false,
                maxLength: Int? = nil, range: ClosedRange<Int>? = nil, pattern: String? = nil) {
        self.name = name; self.kind = kind; self.description = description; self.allowed = allowed; self.required = required
        self.maxLength = maxLength; self.range = range; self.pattern = pattern
    }

    public init(_ name: String, _ description: String, allowed: [String] = [], required: Bool = false, maxLength: Int? = nil,
                pattern: String? = nil) {
        self.init(name, .string, description, allowed: allowed, required: required, maxLength: maxLength, pattern: pattern)
    }

    public static let page = ParameterDoc("page", .integer, "page number, from 0 (a negative one reads as 0)")
    public static let size = ParameterDoc("size", .integer, "page size, 1–200 (default 20; values outside read as the nearest)")
}

/// What a successful call returns.
public enum ResponseDoc: Sendable {
    /// A JSON body of the named component schema.
    case json(String, status: Int = 200)
    /// A JSON array of the named component schema.
    case jsonArray(String, status: Int = 200)
    /// No body.
    case empty(status: Int = 204)
    /// A non-JSON body (`text/event-stream`, Prometheus text…).
    case text(contentType: String, description: String)
    /// Bytes in one of these media types (images…).
    case binary(contentTypes: [String], description: String)

    public var status: Int {
        switch self {
        case .json(_, let status), .jsonArray(_, let status), .empty(let status): status
        case .text, .binary: 200
        }
    }
}

/// One mounted route: the single record both the router and the OpenAPI document are built from.
public struct RouteDescriptor: Sendable {
    public var method: HTTPRequest.Method
    /// With `{name}` captures, as Hummingbird and OpenAPI both write them: `/api/orders/{id}`.
    public var path: String
    public var tag: String
    public var summary: String
    public var access: RouteAccess
    /// The component schema of the JSON body, if the route takes one.
    public var body: String?
    public var bodyRequired: Bool
    /// The media type of the body (`multipart/form-data` for uploads).
    public var bodyContentType: String
    public var response: ResponseDoc
    public var query: [ParameterDoc]
    public var headers: [ParameterDoc]
    /// The accepted values of path captures that are not ids (`{status}`); other captures are integers.
    public var pathValues: [String: [String]]
    /// Another success status with the same body, and when it is answered (an order placed
    /// again with its Idempotency-Key: 200 instead of 201).
    public var alsoAnswers: (status: Int, description: String)?
    /// More than the summary says (OpenAPI's `description`), for a route whose behaviour needs it.
    public var details: String?
    /// Problem statuses this route answers with a reason of its own, beyond those every route of
    /// its kind lists (400, 401, 403, 404, 409…), each with when it is answered.
    public var problems: [Int: String]

    public init(method: HTTPRequest.Method, path: String, tag: String, summary: String, access: RouteAccess,
                body: String? = nil, bodyRequired: Bool = true, bodyContentType: String = "application/json", response: ResponseDoc,
                alsoAnswers: (status: Int, description: String)? = nil,
                query: [ParameterDoc] = [], headers: [ParameterDoc] = [], pathValues: [String: [String]] = [:],
                details: String? = nil, problems: [Int: String] = [:]) {
        self.method = method; self.path = path; self.tag = tag; self.summary = summary; self.access = access
        self.body = body; self.bodyRequired = bodyRequired; self.bodyContentType = bodyContentType; self.response = response; self.query = query; self.headers = headers
        self.pathValues = pathValues; self.alsoAnswers = alsoAnswers; self.details = details; self.problems = problems
    }

    /// The `{name}` captures of the path, in order.
    public var pathParameters: [String] {
        path.split(separator: "/").compactMap { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? String(segment.dropFirst().dropLast()) : nil
        }
    }
}
