import Foundation
import OrderPayCore

extension DecodingError {
    /// A 400 whose detail says which field is wrong and how, in words a client developer can act on.
    var problem: HTTPProblem {
        switch self {
        case .keyNotFound(let key, let context):
            let field = Self.path(context.codingPath + [key])
            return .badRequest("missing required field '\(field)'", field: field)
        case .valueNotFound(_, let context):
            let field = Self.path(context.codingPath)
            return .badRequest("field '\(field)' must not be null", field: field)
        case .typeMismatch(let type, let context):
            let field = Self.path(context.codingPath)
            let message = "field '\(field)' must be \(Self.describe(type))"
            return context.codingPath.isEmpty ? .badRequest("request body must be \(Self.describe(type))")
                                              : .badRequest(message, field: field)
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return .badRequest("request body is not valid JSON: \(Self.underlying(context))")
            }
            let field = Self.path(context.codingPath)
            return .badRequest("field '\(field)' is invalid: \(Self.readable(context.debugDescription))", field: field)
        @unknown default:
            return .badRequest("request body could not be decoded")
        }
    }

    /// `items[0].quantity`, the way the services name fields in their validation errors.
    static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue, key.stringValue.hasPrefix("Index ") || key.stringValue == String(index) {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text.isEmpty ? "(body)" : text
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Double.Type, is Decimal.Type, is Money.Type: "a number"
        case is [Any].Type: "an array"
        case is [String: Any].Type: "an object"
        default: "of type \(type)"
        }
    }

    /// Foundation's wording for an unknown enum case names the Swift type; say the value and the
    /// accepted ones instead.
    private static func readable(_ text: String) -> String {
        guard let range = text.range(of: " from invalid String value ") else { return text.clipped(to: 200) }
        let value = text[range.upperBound...]
        let typeName = text[..<range.lowerBound].replacingOccurrences(of: "Cannot initialize ", with: "")
        guard let allowed = allowedValues[typeName] else { return "unknown value '\(String(value).echoed)'" }
        return "unknown value '\(String(value).echoed)'; expected one of \(allowed.joined(separator: ", "))"
    }

    static let allowedValues: [String: [String]] = [
        "PaymentMethod": PaymentMethod.allCases.map(\.rawValue),
        "OrderStatus": OrderStatus.allCases.map(\.rawValue),
        "PaymentStatus": PaymentStatus.allCases.map(\.rawValue),
        "UserStatus": UserStatus.allCases.map(\.rawValue),
        "Role": Role.allCases.map(\.rawValue),
        "Topic": Topic.allCases.map(\.rawValue),
    ]

    private static func underlying(_ context: Context) -> String {
        if let error = context.underlyingError as NSError?, let text = error.userInfo[NSDebugDescriptionErrorKey] as? String {
            return text.clipped(to: 200)
        }
        return context.debugDescription.clipped(to: 200)
    }
}
