import Foundation

/// An error from below the services (a store's engine) that knows which `AppError` it stands for,
/// so every front end reports it as one: HTTP as problem+json with its status, the CLI with its
/// exit code. A full disk or a database locked past the busy timeout is then a 503 "storage
/// error: …", not a 500 "an unexpected error occurred".
public protocol AppErrorConvertible: Error {
    var appError: AppError { get }
}

/// The one error type of OrderPay. Its `kind` decides how it is shown: an HTTP status and
/// problem+json, a CLI exit code, an inline console message.
public struct AppError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case validation, notFound, forbidden, conflict, unauthorized, rateLimited, unavailable, `internal`

        public var httpStatus: Int {
            switch self {
            case .validation: 422
            case .notFound: 404
            case .forbidden: 403
            case .conflict: 409
            case .unauthorized: 401
            case .rateLimited: 429
            case .unavailable: 503
            case .internal: 500
            }
        }

        public var title: String {
            switch self {
            case .validation: "Validation failed"
            case .notFound: "Not found"
            case .forbidden: "Forbidden"
            case .conflict: "Conflict"
            case .unauthorized: "Unauthorized"
            case .rateLimited: "Too many requests"
            case .unavailable: "Service unavailable"
            case .internal: "Internal error"
            }
        }

        /// Distinct exit codes so scripts can tell a bad argument from a missing record.
        public var exitCode: Int32 {
            switch self {
            case .validation: 2
            case .notFound: 3
            case .forbidden, .unauthorized: 4
            case .conflict: 5
            case .rateLimited, .unavailable: 6
            case .internal: 1
            }
        }
    }

    public struct FieldError: Equatable, Sendable, Codable {
        public let field: String
        public let message: String
        public init(field: String, message: String) { self.field = field; self.message = message }
    }

    public let kind: Kind
    public let message: String
    public let fieldErrors: [FieldError]
    /// Seconds the server asked the caller to wait before trying again (a 429's or 503's
    /// Retry-After), when it said: a client that retries by itself honours it.
    public let retryAfter: TimeInterval?

    public init(_ kind: Kind, _ message: String, fieldErrors: [FieldError] = [], retryAfter: TimeInterval? = nil) {
        self.kind = kind
        self.message = message
        self.fieldErrors = fieldErrors
        self.retryAfter = retryAfter
    }

    public var description: String {
        // A single field's error is usually the message itself: said once.
        if fieldErrors.count == 1 && message.contains(fieldErrors[0].message) { return message }
        guard !fieldErrors.isEmpty else { return message }
        let fields = fieldErrors.map { "\($0.field): \($0.message)" }.joined(separator: "; ")
        return "\(message) (\(fields))"
    }

    public static func validation(_ message: String, field: String) -> AppError {
        AppError(.validation, message, fieldErrors: [FieldError(field: field, message: message)])
    }
    public static func notFound(_ message: String) -> AppError { AppError(.notFound, message) }
    public static func forbidden(_ message: String) -> AppError { AppError(.forbidden, message) }
    public static func conflict(_ message: String) -> AppError { AppError(.conflict, message) }
    public static func unauthorized(_ message: String) -> AppError { AppError(.unauthorized, message) }
}

/// Collects field errors so a request reports every problem at once, not only the first.
public struct Validator {
    public private(set) var errors: [AppError.FieldError] = []
    public init() {}

    public mutating func check(_ condition: Bool, _ field: String, _ message: String) {
        if !condition { errors.append(.init(field: field, message: message)) }
    }

    /// Refuses control characters (C0, DEL, C1) in text people read: stored, they would reach
    /// terminals and logs as escape sequences.
    public mutating func checkPrintable(_ text: String?, _ field: String) {
        guard let text else { return }
        check(!text.containsControlCharacters, field, "\(field) must not contain control characters")
    }

    /// A reason people will read (an order's history, its events, the console): trimmed,
    /// 1–500 characters, no control characters.
    public static func reason(_ text: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.unicodeScalars.count <= 500 else { throw AppError.validation("reason must be 1–500 characters", field: "reason") }
        guard !trimmed.containsControlCharacters else { throw AppError.validation("reason must not contain control characters", field: "reason") }
        return trimmed
    }

    public func throwIfInvalid(_ summary: String = "the request has invalid fields") throws {
        guard !errors.isEmpty else { return }
        let message = errors.count == 1 ? errors[0].message : summary
        throw AppError(.validation, errors.count == 1 ? "\(errors[0].field): \(message)" : summary, fieldErrors: errors)
    }
}

extension StringProtocol {
    /// Whether any scalar is a control character (Unicode category Cc: U+0000–001F, U+007F–009F)
    /// or a bidirectional embedding, override or isolate (U+202A–202E, U+2066–2069): those
    /// reorder the text after them on screen, so a name could make a console line or a log read
    /// otherwise than it is. The direction marks of Arabic and Hebrew text (U+200E/200F, U+061C)
    /// and joiners such as U+200D (emoji, some scripts) are allowed.
    public var containsControlCharacters: Bool {
        unicodeScalars.contains { scalar in
            scalar.properties.generalCategory == .control || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
        }
    }
}

extension String {
    /// The string as an error message quotes a refused value: at most 64 characters (then "…"),
    /// so a huge value does not come back whole.
    public var echoed: String { clipped(to: 64) }

    /// At most `limit` characters, then "…" if there was more.
    public func clipped(to limit: Int) -> String { count <= limit ? self : prefix(limit) + "…" }
}
