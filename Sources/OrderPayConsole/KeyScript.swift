import Foundation

/// A keystroke script, for demos and tests alike:
///
///     # comments and blank lines are ignored
///     n                       keys to press: literal text is typed as is,
///     <Tab><Tab>2<Enter>      <Name> is a named key (Enter, Esc, Tab, S-Tab, Up, PgDn, C-r, Space, F1…)
///     wait 500ms              a pause (ms or s)
///     wait-for "PAID" 10s     until the screen shows the text (default 10 s), else the script fails
///     type wait for it        types the rest of the line literally
public struct KeyScript: Equatable, Sendable {
    public enum Step: Equatable, Sendable {
        case keys([Key], line: Int)
        case wait(milliseconds: Int)
        case waitFor(String, milliseconds: Int, line: Int)
    }

    public var steps: [Step]

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let line: Int
        public let message: String
        public var description: String { "line \(line): \(message)" }
    }

    public static func parse(_ text: String) throws -> KeyScript {
        var steps: [Step] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = raw.trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if trimmed.hasPrefix("wait-for ") {
                steps.append(try parseWaitFor(String(trimmed.dropFirst(9)), line: number))
            } else if trimmed.hasPrefix("wait ") {
                guard let ms = milliseconds(String(trimmed.dropFirst(5)).trimmingCharacters(in: .whitespaces)) else {
                    throw ParseError(line: number, message: "expected a duration like 500ms or 2s after 'wait'")
                }
                steps.append(.wait(milliseconds: ms))
            } else if trimmed.hasPrefix("type ") {
                steps.append(.keys(String(trimmed.dropFirst(5)).map { Key.char($0) }, line: number))
            } else {
                steps.append(.keys(try parseKeys(trimmed, line: number), line: number))
            }
        }
        return KeyScript(steps: steps)
    }

    static func milliseconds(_ text: String) -> Int? {
        if text.hasSuffix("ms"), let v = Double(text.dropLast(2)) { return Int(v) }
        if text.hasSuffix("s"), let v = Double(text.dropLast(1)) { return Int(v * 1000) }
        return nil
    }

    static func parseWaitFor(_ rest: String, line: Int) throws -> Step {
        let text = rest.trimmingCharacters(in: .whitespaces)
        guard text.hasPrefix("\""), let close = text.dropFirst().firstIndex(of: "\"") else {
            throw ParseError(line: line, message: "expected wait-for \"TEXT\" [timeout]")
        }
        let needle = String(text[text.index(after: text.startIndex)..<close])
        let after = text[text.index(after: close)...].trimmingCharacters(in: .whitespaces)
        var timeout = 10_000
        if !after.isEmpty {
            guard let ms = milliseconds(after) else { throw ParseError(line: line, message: "'\(after)' is not a timeout like 5s") }
            timeout = ms
        }
        guard !needle.isEmpty else { throw ParseError(line: line, message: "wait-for needs a non-empty text") }
        return .waitFor(needle, milliseconds: timeout, line: line)
    }

    static func parseKeys(_ text: String, line: Int) throws -> [Key] {
        var keys: [Key] = []
        var rest = Substring(text)
        while let ch = rest.first {
            if ch == "<", let close = rest.firstIndex(of: ">"), close > rest.index(after: rest.startIndex) {
                let name = String(rest[rest.index(after: rest.startIndex)..<close])
                guard !name.contains(" "), let key = Key(name: name) else {
                    throw ParseError(line: line, message: "unknown key <\(name)>")
                }
                keys.append(key)
                rest = rest[rest.index(after: close)...]
            } else {
                keys.append(.char(ch))
                rest = rest.dropFirst()
            }
        }
        return keys
    }
}
