import Foundation
import Hummingbird
import OrderPayCore

/// Checks every query parameter of every request, including those no route reads: a name or value
/// whose percent-encoding does not decode (`%zz`, a lone `%`, escapes that are not UTF-8) is a
/// malformed request, and a control character in one is refused as in the parameters routes
/// read (README). Ignoring them answered `/api/users?q=%zz` with an empty page, as if it had
/// searched, and `/api/orders/1?x=%00` with 200.
struct QueryStringRules: RouterMiddleware {
    typealias Context = OrderPayRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let query = request.uri.query, !query.isEmpty { try Self.check(query) }
        return try await next(request, context)
    }

    static func check(_ query: String) throws {
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: "=")
            let rawName = equals.map { pair[..<$0] } ?? pair[...]
            let rawValue = equals.map { pair[pair.index(after: $0)...] } ?? ""
            // `+` is a space in a form-encoded query (Hummingbird reads it so); it is no escape.
            guard let name = decoded(rawName), let value = decoded(rawValue) else {
                let shown = String(rawName).echoed
                throw HTTPProblem.badRequest("query parameter '\(shown)' has malformed percent-encoding (each % must start a %XX escape of UTF-8)",
                                             field: shown)
            }
            if name.containsControlCharacters || value.containsControlCharacters {
                let shown = name.containsControlCharacters ? String(rawName).echoed : name.echoed
                throw HTTPProblem.badRequest("query parameter '\(shown)' must not contain control characters", field: shown)
            }
        }
    }

    private static func decoded(_ text: Substring) -> String? {
        text.contains("%") ? String(text).removingPercentEncoding : String(text)
    }
}
