import Foundation

/// Finds a key that appears twice in one JSON object. Foundation's decoder silently keeps one of
/// the two values, so `{"quantity":1,"quantity":500}` would mean whatever this parser picks,
/// and another parser (a proxy's, a log reader's) might pick the other: refused instead.
enum JSONDuplicateKeys {
    /// The first repeated key (with its object's path, like `items[0].quantity`), or nil. Meant for
    /// a body that already parsed as JSON: it follows the structure and does not validate it.
    static func first(in data: Data) -> String? {
        data.withUnsafeBytes { first(in: $0) }
    }

    /// An object or array being read. A struct changed in place on the stack: copying a key set
    /// out and back for each key would make a body of many keys cost their square.
    private struct Container {
        let isObject: Bool
        let path: String
        var keys: Set<String> = []
        var expectingKey: Bool
        var index = 0
    }

    private static func first(in bytes: UnsafeRawBufferPointer) -> String? {
        var stack: [Container] = []
        var index = 0
        var lastKey: String?
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                let end = stringEnd(bytes, from: index)
                if let top = stack.indices.last, stack[top].isObject, stack[top].expectingKey {
                    let key = decodeString(bytes, index, end)
                    guard stack[top].keys.insert(key).inserted else { return join(stack[top].path, key) }
                    stack[top].expectingKey = false
                    lastKey = key
                }
                index = end
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = byte == UInt8(ascii: "{")
                stack.append(Container(isObject: isObject, path: childPath(stack.last, lastKey), expectingKey: isObject))
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if !stack.isEmpty { stack.removeLast() }
                index += 1
            case UInt8(ascii: ","):
                if let top = stack.indices.last {
                    if stack[top].isObject { stack[top].expectingKey = true } else { stack[top].index += 1 }
                }
                index += 1
            default:
                index += 1
            }
        }
        return nil
    }

    /// The path of a value that starts now: the key just read in an object, the position in an array.
    private static func childPath(_ parent: Container?, _ lastKey: String?) -> String {
        guard let parent else { return "" }
        return parent.isObject ? join(parent.path, lastKey ?? "") : "\(parent.path)[\(parent.index)]"
    }

    private static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The index just past the string that starts (with its quote) at `start`.
    private static func stringEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start + 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""): return index + 1
            default: index += 1
            }
        }
        return index
    }

    /// A key as the decoder sees it: escapes resolved, so `"a"` and `"\u0061"` are one key.
    private static func decodeString(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> String {
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        guard raw.contains(UInt8(ascii: "\\")) else { return String(decoding: raw.dropFirst().dropLast(), as: UTF8.self) }
        let decoded = try? JSONSerialization.jsonObject(with: Data(raw), options: [.fragmentsAllowed]) as? String
        return decoded ?? String(decoding: raw, as: UTF8.self)
    }
}
