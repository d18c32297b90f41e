import Foundation
import Hummingbird
import OrderPayCore

extension Request {
    /// A query parameter, nil when absent or empty. No parameter takes control characters: a NUL
    /// would cut a value short on its way to SQL, and others end up in logs and terminals. Nor is
    /// one given twice: which of them counts is anyone's guess (`?userId=2&userId=3` placed the
    /// order for the first, silently), as with a JSON key given twice.
    func query(_ name: String) throws -> String? {
        let values = queryValues(named: name)
        guard values.count < 2 else { throw HTTPProblem.givenMoreThanOnce(queryParameter: name) }
        guard let value = values.first.map(String.init), !value.isEmpty else { return nil }
        guard !value.containsControlCharacters else {
            throw HTTPProblem.badRequest("query parameter '\(name)' must not contain control characters", field: name)
        }
        return value
    }

    func queryInt(_ name: String) throws -> Int? {
        guard let text = try query(name) else { return nil }
        guard let value = Int(text) else { throw HTTPProblem.badRequest("query parameter '\(name)' must be an integer", field: name) }
        return value
    }

    func queryInt64(_ name: String) throws -> Int64? {
        guard let text = try query(name) else { return nil }
        guard let value = Int64(text) else { throw HTTPProblem.badRequest("query parameter '\(name)' must be an integer", field: name) }
        return value
    }

    func queryBool(_ name: String) throws -> Bool? {
        guard let text = try query(name)?.lowercased() else { return nil }
        switch text {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw HTTPProblem.badRequest("query parameter '\(name)' must be true or false", field: name)
        }
    }

    func queryEnum<E: RawRepresentable & CaseIterable>(_ name: String, as type: E.Type) throws -> E? where E.RawValue == String {
        guard let text = try query(name) else { return nil }
        return try parseEnum(text, as: type, name: "query parameter '\(name)'", field: name)
    }

    /// `page` (from 0) and `size` (1–200); out-of-range values are clamped, non-numbers refused.
    func pageRequest() throws -> PageRequest {
        PageRequest(page: try queryInt("page") ?? 0, size: try queryInt("size") ?? 20)
    }
}

public extension Request {
    /// Every value of query parameter `name`, in order, its name compared percent-decoded as its
    /// value is (Hummingbird decodes values only): `?user%49d=2` names `userId`, so
    /// `?user%49d=2&userId=3` gives it twice, which looking up the literal name did not see.
    func queryValues(named name: String) -> [Substring] {
        uri.queryParameters.compactMap { key, value in
            (key.contains("%") ? key.removingPercentEncoding ?? String(key) : String(key)) == name ? value : nil
        }
    }
}

public extension HTTPProblem {
    /// The 400 for a query parameter given twice, alike from every server.
    static func givenMoreThanOnce(queryParameter name: String) -> HTTPProblem {
        .badRequest("query parameter '\(name)' is given more than once; give it once", field: name)
    }
}

extension OrderPayRequestContext {
    /// An integer path capture; anything else is a 400, never a 404 or a 500.
    func pathID(_ name: String = "id") throws -> Int64 {
        let text = parameters.get(name) ?? ""
        // Digits only, no leading zero or sign: one resource, one path (`+1` and `01` are not 1).
        guard text.first != "0", text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let value = Int64(text), value > 0 else {
            throw HTTPProblem.badRequest("path parameter '\(name)' must be a positive integer, not '\(text.echoed)'", field: name)
        }
        return value
    }

    func pathEnum<E: RawRepresentable & CaseIterable>(_ name: String, as type: E.Type) throws -> E where E.RawValue == String {
        try parseEnum(parameters.get(name) ?? "", as: type, name: "path parameter '\(name)'", field: name)
    }
}

/// Case-insensitive, so `?status=paid` works as well as `PAID`.
func parseEnum<E: RawRepresentable & CaseIterable>(_ text: String, as type: E.Type, name: String, field: String) throws -> E
where E.RawValue == String {
    if let value = E(rawValue: text) ?? E.allCases.first(where: { $0.rawValue.caseInsensitiveCompare(text) == .orderedSame }) {
        return value
    }
    let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
    throw HTTPProblem.badRequest("\(name) must be one of \(allowed), not '\(text.echoed)'", field: field)
}
