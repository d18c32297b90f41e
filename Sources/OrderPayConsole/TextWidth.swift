/// Terminal column widths, computed here rather than with the C library's wcwidth so that the
/// layout (and the snapshot tests) do not depend on the process locale.
public enum TextWidth {
    /// 0 for combining marks and zero-width characters, 2 for East Asian wide and fullwidth
    /// characters (Hangul, CJK, fullwidth forms, emoji with emoji presentation), 1 otherwise.
    /// Wide is Unicode's table (`WideCharacters`), as the terminal has it: a hand-picked list
    /// missed ✅ and ⌚, and a customer's name with one shifted the rest of its row by a column.
    public static func of(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v == 0 { return 0 }
        if v < 0x300 { return 1 }
        if (0x300...0x36F).contains(v) || (0x200B...0x200F).contains(v) || (0xFE00...0xFE0F).contains(v)
            || (0x1160...0x11FF).contains(v) || v == 0x200D { return 0 }
        return v >= 0x1100 && WideCharacters.contains(v) ? 2 : 1
    }

    /// The width of one grapheme, as xterm and VTE draw it: mostly its first scalar's (the rest
    /// combine), except for two kinds that were measured one column and drawn two, shifting the
    /// rest of the row: a flag (two regional indicators; each is one column to wcwidth, so
    /// ncurses counts the same two), and a character followed by U+FE0F, which asks for the
    /// emoji presentation (❤️, ✔️, 1️⃣), drawn two columns wide.
    public static func of(_ character: Character) -> Int {
        let scalars = character.unicodeScalars
        guard let first = scalars.first else { return 0 }
        let width = of(first)
        if width == 1, scalars.count > 1 {
            if isRegionalIndicator(first) || scalars.contains("\u{FE0F}") { return 2 }
        }
        return width
    }

    static func isRegionalIndicator(_ scalar: Unicode.Scalar) -> Bool { (0x1F1E6...0x1F1FF).contains(scalar.value) }

    public static func of(_ text: String) -> Int { text.reduce(0) { $0 + of($1) } }

    /// The longest prefix of `text` that fits in `width` columns, with "…" when cut.
    public static func truncate(_ text: String, to width: Int, ellipsis: String = "…") -> String {
        guard width > 0 else { return "" }
        if of(text) <= width { return text }
        var out = "", used = 0
        let limit = width - of(ellipsis)
        for ch in text {
            let w = of(ch)
            if used + w > limit { break }
            out.append(ch); used += w
        }
        return out + ellipsis
    }

    /// The longest suffix of `text` that fits in `width` columns, with "…" in front when cut.
    public static func tail(_ text: String, to width: Int, ellipsis: String = "…") -> String {
        guard width > 0 else { return "" }
        if of(text) <= width { return text }
        var out = "", used = 0
        let limit = width - of(ellipsis)
        for ch in text.reversed() {
            let w = of(ch)
            if used + w > limit { break }
            out.insert(ch, at: out.startIndex); used += w
        }
        return ellipsis + out
    }

    /// `text` cut or padded with spaces to exactly `width` columns.
    public static func fit(_ text: String, _ width: Int, alignRight: Bool = false) -> String {
        let cut = truncate(text, to: width)
        let pad = String(repeating: " ", count: max(0, width - of(cut)))
        return alignRight ? pad + cut : cut + pad
    }
}
