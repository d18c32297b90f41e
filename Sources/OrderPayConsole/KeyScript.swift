import Foundation

/// A keystroke script, for demos and tests alike:
///
///     # comments and blank lines are ignored
///     n                       keys to press: literal text is typed as is,
///     <Tab><Tab>2<Enter>      <Name> is a named key (Enter, Esc, Tab, S-Tab, Up, PgDn, C-r, Space, F1…);
///                             a literal < is <lt> (a < before a letter with no > is a mistyped name, an error)
///     wait 500ms              a pause (ms or s, not negative)
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
                let duration = String(trimmed.dropFirst(5)).trimmingCharacters(in: .whitespaces)
                steps.append(.wait(milliseconds: try milliseconds(duration, line: number, notADuration: "expected a duration like 500ms or 2s after 'wait'")))
            } else if trimmed.hasPrefix("type ") {
                steps.append(.keys(String(trimmed.dropFirst(5)).map { Key.char($0) }, line: number))
            } else {
                steps.append(.keys(try parseKeys(trimmed, line: number), line: number))
            }
        }
        return KeyScript(steps: steps)
    }

    /// The longest pause a script may ask for; also keeps `Int(_:)` from trapping on `1e300s`.
    static let longestWait = 24 * 60 * 60 * 1000

    /// `500ms` or `2s` as milliseconds. A negative, infinite or day-long duration is a typo, not a
    /// pause to skip silently or a crash.
    static func milliseconds(_ text: String, line: Int, notADuration: String) throws -> Int {
        var value: Double?
        if text.hasSuffix("ms") { value = Double(text.dropLast(2)) } else if text.hasSuffix("s") { value = Double(text.dropLast(1)).map { $0 * 1000 } }
        guard let value, value.isFinite else {
            throw ParseError(line: line, message: notADuration)
        }
        guard value >= 0 else { throw ParseError(line: line, message: "a duration cannot be negative: '\(text)'") }
        guard value <= Double(longestWait) else { throw ParseError(line: line, message: "'\(text)' is longer than a day") }
        return Int(value)
    }

    static func parseWaitFor(_ rest: String, line: Int) throws -> Step {
        let text = rest.trimmingCharacters(in: .whitespaces)
        guard text.hasPrefix("\""), let close = text.dropFirst().firstIndex(of: "\"") else {
            throw ParseError(line: line, message: "expected wait-for \"TEXT\" [timeout]")
        }
        let needle = String(text[text.index(after: text.startIndex)..<close])
        let after = text[text.index(after: close)...].trimmingCharacters(in: .whitespaces)
        var timeout = 10_000
        if !after.isEmpty { timeout = try milliseconds(after, line: line, notADuration: "'\(after)' is not a timeout like 5s") }
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
            } else if ch == "<", rest.dropFirst().first?.isLetter == true {
                // `<Enter` without its `>`: typed key by key it would sort, open forms, …
                let name = rest.dropFirst().prefix { !$0.isWhitespace }
                throw ParseError(line: line, message: "unterminated key <\(name) (missing '>'; a literal < is <lt>)")
            } else {
                keys.append(.char(ch))
                rest = rest.dropFirst()
            }
        }
        return keys
    }
}
