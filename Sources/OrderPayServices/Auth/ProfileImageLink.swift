import Foundation

/// What `profileImageUrl` may hold, written once as the pattern /openapi.json publishes, so the
/// service refuses exactly what the document refuses (a hand-written parser let
/// `https://orderpay.dev@evil.example/x.png` through: it shows one host and loads another).
///
/// A link a client may show as an image: a path on this server (never `//host`, which a browser
/// reads as another host), or http(s) with a plain host name and an optional port of 1–65535,
/// followed by nothing or a path. No user-info (`name@`), no IP literal in brackets, no query or
/// fragment straight after the host. Never a space, a backslash (browsers read `\` as `/`), a
/// control character or an invisible formatting character anywhere.
public enum ProfileImageLink {
    /// C0, DEL, C1 and the bidi overrides, as OpenAPISchemas.controlCharacters.
    static let controlCharacters = #"\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069"#
    static let linkCharacters = #"[^\s\\\#(controlCharacters)\u00AD\u061C\u180E\u200B-\u200F\u2060-\u2064\u206A-\u206F\uFEFF]"#
    /// 1–65535 without leading zeros, so `:0`, `:99999` and `:080` are refused by the pattern too.
    static let port = #"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"#
    /// The pattern /openapi.json publishes for profileImageUrl (ECMA-262 syntax, which ICU reads the same way here).
    public static let pattern = #"^(/(?!/)\#(linkCharacters)*|[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9][A-Za-z0-9.-]*(:\#(port))?(/\#(linkCharacters)*)?)?$"#

    // Compiled once; NSRegularExpression is thread-safe for matching.
    nonisolated(unsafe) private static let regex = try! NSRegularExpression(pattern: pattern)

    /// Whether `text` matches the published pattern, and has no invisible formatting character
    /// the pattern's list does not name (any Unicode "Cf").
    public static func isAcceptable(_ text: String) -> Bool {
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .format }) else { return false }
        let whole = NSRange(text.startIndex..., in: text)
        guard let match = regex.firstMatch(in: text, options: [.anchored], range: whole) else { return false }
        return match.range == whole
    }
}
