import Foundation
import OrderPayCore

/// Finds the field behind Foundation's least helpful decoding error.
///
/// For a number that does not fit its field (`1.5` or `1e30` where an integer is expected) the
/// decoder on Linux reports only "The given data was not valid JSON" with no coding path. When the
/// body does parse as JSON, each suspicious number is replaced by 0 in turn and the body decoded
/// again; the number whose replacement changes the outcome is the culprit.
enum JSONNumberProbe {
    enum Step { case key(String), index(Int) }

    static func diagnose<T: Decodable>(_ type: T.Type, data: Data) -> any Error {
        let tree: Any
        do {
            tree = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "malformed"
            // The parser's message can quote a whole number or string of the body.
            return HTTPProblem.badRequest("request body is not valid JSON: \(reason.clipped(to: 200))")
        }
        for path in suspiciousNumbers(in: tree, at: []).prefix(20) {
            guard let patched = try? JSONSerialization.data(withJSONObject: replacing(tree, at: path[...]), options: [.fragmentsAllowed])
            else { continue }
            do {
                _ = try JSONCoding.decoder.decode(T.self, from: patched)
            } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
                continue   // still the same failure: this number was not (the only) cause
            } catch {}
            let field = text(path)
            // A field that takes a fraction is an amount (`1e-400` has too many decimals for
            // one); its refusal is Money's, not an integer's.
            if acceptsFraction(T.self, tree, at: path), let number = value(in: tree, at: path[...]) as? NSNumber {
                return number.doubleValue.magnitude < 1 ? Money.tooManyDecimals(field)
                                                        : Money.outOfRange(field, negative: number.doubleValue < 0)
            }
            return HTTPProblem.badRequest("field '\(field)' must be an integer in range, not a fraction or a number that large", field: field)
        }
        return HTTPProblem.badRequest("request body has a value that does not fit its field (a fraction where an integer is expected, or a number out of range)")
    }

    /// Numbers that are not exact 64-bit integers, in document order.
    static func suspiciousNumbers(in value: Any, at path: [Step]) -> [[Step]] {
        switch value {
        case let object as [String: Any]:
            return object.keys.sorted().flatMap { suspiciousNumbers(in: object[$0]!, at: path + [.key($0)]) }
        case let array as [Any]:
            return array.enumerated().flatMap { suspiciousNumbers(in: $1, at: path + [.index($0)]) }
        default:
            guard type(of: value) != Bool.self, let number = value as? NSNumber else { return [] }
            return Int64(number.stringValue) == nil ? [path] : []
        }
    }

    /// Whether the body decodes with 0.5 at `path`: the field is a number that may have a fraction.
    static func acceptsFraction<T: Decodable>(_ type: T.Type, _ tree: Any, at path: [Step]) -> Bool {
        guard let patched = try? JSONSerialization.data(withJSONObject: replacing(tree, at: path[...], with: 0.5), options: [.fragmentsAllowed])
        else { return false }
        return (try? JSONCoding.decoder.decode(T.self, from: patched)) != nil
    }

    static func value(in tree: Any, at path: ArraySlice<Step>) -> Any? {
        guard let step = path.first else { return tree }
        switch (step, tree) {
        case (.key(let key), let object as [String: Any]): return object[key].flatMap { value(in: $0, at: path.dropFirst()) }
        case (.index(let index), let array as [Any]) where array.indices.contains(index): return value(in: array[index], at: path.dropFirst())
        default: return nil
        }
    }

    static func replacing(_ value: Any, at path: ArraySlice<Step>, with replacement: Any = 0) -> Any {
        guard let step = path.first else { return replacement }
        switch (step, value) {
        case (.key(let key), var object as [String: Any]):
            object[key] = replacing(object[key] as Any, at: path.dropFirst(), with: replacement)
            return object
        case (.index(let index), var array as [Any]) where array.indices.contains(index):
            array[index] = replacing(array[index], at: path.dropFirst(), with: replacement)
            return array
        default:
            return value
        }
    }

    static func text(_ path: [Step]) -> String {
        var text = ""
        for step in path {
            switch step {
            case .key(let key): text += text.isEmpty ? key : ".\(key)"
            case .index(let index): text += "[\(index)]"
            }
        }
        return text.isEmpty ? "(body)" : text
    }
}
