import Foundation

/// Reads theme files: one `role = foreground background [attribute…]` per line, `#` comments.
///
///     focus    = cyan default bold
///     cursor   = #1e1e2e #89b4fa
///     muted    = 244 default dim
public enum ThemeLoader {
    public static func parse(_ text: String, name: String, source: String) throws -> Theme {
        var styles: [CellRole: Style] = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(raw)
            // `#` opens a comment at the start of a line or after a blank, unless a hex digit follows (`#rrggbb`).
            if let comment = line.range(of: #"(^|\s)#(?![0-9a-fA-F])"#, options: .regularExpression) { line = String(line[..<comment.lowerBound]) }
            line = line.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            func fail(_ message: String) -> ThemeError { ThemeError(description: "\(source):\(number + 1): \(message)") }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { throw fail("expected 'role = foreground background [attributes]', got '\(line)'") }
            guard let role = CellRole(rawValue: parts[0]) else {
                throw fail("unknown role '\(parts[0])' (roles: \(CellRole.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            let words = parts[1].split(separator: " ").map(String.init)
            guard words.count >= 2 else { throw fail("'\(parts[0])' needs a foreground and a background colour") }
            guard let fg = ThemeColor(parsing: words[0]) else { throw fail("'\(words[0])' is not a colour (a name, #rrggbb, 0–255 or default)") }
            guard let bg = ThemeColor(parsing: words[1]) else { throw fail("'\(words[1])' is not a colour (a name, #rrggbb, 0–255 or default)") }
            var attributes: Set<TextAttribute> = []
            for word in words.dropFirst(2) {
                guard let attribute = TextAttribute(rawValue: word.lowercased()) else {
                    throw fail("unknown attribute '\(word)' (bold, reverse, underline, dim)")
                }
                attributes.insert(attribute)
            }
            styles[role] = Style(foreground: fg, background: bg, attributes: attributes)
        }
        return Theme(name: name, styles: styles)
    }

    /// Folders searched for `NAME.theme`: $ORDERPAY_THEMES, a `themes/` folder beside or above the
    /// executable (the repository's, for a binary built in place), then ./themes. The shipped themes
    /// are built in too (`BuiltinThemes`), behind these, so an edited copy wins.
    public static func searchPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var dirs: [String] = []
        if let custom = environment["ORDERPAY_THEMES"], !custom.isEmpty { dirs.append(custom) }
        var dir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            dirs.append(dir.appendingPathComponent("themes").path)
            dir = dir.deletingLastPathComponent()
        }
        dirs.append(FileManager.default.currentDirectoryPath + "/themes")
        return dirs
    }

    /// A theme by name (searched for, then built in) or by path (anything with a `/` or ending in `.theme`).
    public static func load(_ nameOrPath: String, searchPath: [String] = searchPath()) throws -> Theme {
        let isPath = nameOrPath.contains("/") || nameOrPath.hasSuffix(".theme")
        let candidates = isPath ? [nameOrPath] : searchPath.map { "\($0)/\(nameOrPath).theme" }
        for path in candidates {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let name = isPath ? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent : nameOrPath
            return try parse(String(decoding: data, as: UTF8.self), name: name, source: path)
        }
        if isPath { throw ThemeError(description: "theme file \(nameOrPath) not found") }
        // No file of that name: a shipped theme still works from a binary copied elsewhere.
        if let text = BuiltinThemes.sources[nameOrPath] { return try parse(text, name: nameOrPath, source: "built-in \(nameOrPath).theme") }
        throw ThemeError(description: "unknown theme '\(nameOrPath)' (themes: \(available(searchPath: searchPath).joined(separator: ", ")))")
    }

    /// The themes found on the search path and the built-in ones.
    public static func available(searchPath: [String] = searchPath()) -> [String] {
        let names = searchPath.flatMap { dir in
            ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".theme") }.map { String($0.dropLast(6)) }
        }
        return Array(Set(names).union(BuiltinThemes.sources.keys)).sorted()
    }
}
