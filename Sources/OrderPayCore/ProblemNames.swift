/// The names in problem+json documents, one vocabulary for every OrderPay server (the services,
/// the gateway, the registry): a status gets the same `type` slug and `title` whoever answers.
public enum ProblemNames {
    /// `not-found`, `bad-request`, …: the last part of the problem's `urn:orderpay:problem:` type.
    public static func slug(status: Int) -> String {
        if let kind = AppError.Kind(status: status) { return kind.slug }
        return named[status]?.slug ?? "http-\(status)"
    }

    /// "Not found", "Bad request", …; `fallback` (the status's reason phrase) for the rest.
    public static func title(status: Int, fallback: String) -> String {
        if let kind = AppError.Kind(status: status) { return kind.title }
        return named[status]?.title ?? fallback
    }

    /// The statuses no AppError kind has that OrderPay's servers answer with.
    private static let named: [Int: (slug: String, title: String)] = [
        400: ("bad-request", "Bad request"),
        405: ("method-not-allowed", "Method not allowed"),
        406: ("not-acceptable", "Not acceptable"),
        408: ("request-timeout", "Request timeout"),
        410: ("gone", "Gone"),
        413: ("content-too-large", "Content too large"),
        415: ("unsupported-media-type", "Unsupported media type"),
        431: ("header-fields-too-large", "Request header fields too large"),
        501: ("not-implemented", "Not implemented"),
        502: ("bad-gateway", "Bad gateway"),
        504: ("gateway-timeout", "Gateway timeout"),
    ]
}

extension AppError.Kind {
    /// The kind whose HTTP status this is, if any.
    public init?(status: Int) {
        guard let kind = Self.allCases.first(where: { $0.httpStatus == status }) else { return nil }
        self = kind
    }

    /// The kind in a problem's type, in the same kebab case as the HTTP statuses' (`not-found`).
    public var slug: String {
        switch self {
        case .validation: "validation"
        case .notFound: "not-found"
        case .forbidden: "forbidden"
        case .conflict: "conflict"
        case .unauthorized: "unauthorized"
        case .rateLimited: "rate-limited"
        case .unavailable: "unavailable"
        case .internal: "internal"
        }
    }
}
