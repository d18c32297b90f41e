import Foundation
import OrderPayCore

/// Turns an error response into an `AppError` of the right kind: the problem+json `detail` and
/// `errors[]` when the body is one, the status alone when it is not (a proxy's HTML page, say).
enum ProblemMapping {
    /// The fields of RFC 9457 OrderPay fills in; all optional, so an odd document still maps.
    private struct Problem: Decodable {
        var title: String?
        var status: Int?
        var detail: String?
        var errors: [FieldErrorBody]?
    }

    private struct FieldErrorBody: Decodable {
        var field: String?
        var message: String?
    }

    static func kind(forStatus status: Int) -> AppError.Kind {
        switch status {
        case 400, 422: .validation
        case 401: .unauthorized
        case 403: .forbidden
        case 404: .notFound
        case 409: .conflict
        case 429: .rateLimited
        case 502, 503, 504: .unavailable
        case 400..<500: .validation
        default: .internal
        }
    }

    static func error(for response: HTTPResponseMessage) -> AppError {
        let kind = kind(forStatus: response.status)
        let problem = try? JSONDecoder().decode(Problem.self, from: response.body)
        let fieldErrors = (problem?.errors ?? []).compactMap { entry -> AppError.FieldError? in
            guard let field = entry.field else { return nil }
            return AppError.FieldError(field: field, message: entry.message ?? "invalid")
        }
        var message = problem?.detail ?? problem?.title ?? fallbackMessage(response)
        if kind == .rateLimited, let wait = response.header("Retry-After")?.trimmingCharacters(in: .whitespaces), !wait.isEmpty {
            message += " (Retry-After: \(wait) s)"
        }
        return AppError(kind, message, fieldErrors: fieldErrors, retryAfter: retryAfter(response))
    }

    /// Retry-After in seconds (RFC 9110 also allows an HTTP date; OrderPay sends seconds, and a
    /// date is ignored rather than misread).
    static func retryAfter(_ response: HTTPResponseMessage) -> TimeInterval? {
        guard let text = response.header("Retry-After")?.trimmingCharacters(in: .whitespaces),
              let seconds = TimeInterval(text), seconds >= 0 else { return nil }
        return seconds
    }

    private static func fallbackMessage(_ response: HTTPResponseMessage) -> String {
        let text = String(decoding: response.body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let printable = text.unicodeScalars.allSatisfy { !CharacterSet.controlCharacters.subtracting(.whitespacesAndNewlines).contains($0) }
        if !text.isEmpty, printable, !text.hasPrefix("<") { return "HTTP \(response.status): \(text)" }
        return "HTTP \(response.status) from the gateway"
    }
}
