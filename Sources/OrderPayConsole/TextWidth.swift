/// Terminal column widths, computed here rather than with the C library's wcwidth so that the
/// layout (and the snapshot tests) do not depend on the process locale.
public enum TextWidth {
    /// 0 for combining marks and zero-width characters, 2 for East Asian wide and fullwidth
    /// characters (Hangul, CJK, fullwidth forms, most emoji), 1 otherwise.
    public static func of(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v == 0 { return 0 }
        if v < 0x300 { return 1 }
        if (0x300...0x36F).contains(v) || (0x200B...0x200F).contains(v) || (0xFE00...0xFE0F).contains(v)
            || (0x1160...0x11FF).contains(v) || v == 0x200D { return 0 }
        if (0x1100...0x115F).contains(v) || (0x2E80...0x303E).contains(v) || (0x3041...0x33FF).contains(v)
            || (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v) || (0xA000...0xA4CF).contains(v)
            || (0xAC00...0xD7A3).contains(v) || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v)
            || (0xFF00...0xFF60).contains(v) || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1F64F).contains(v)
            || (0x1F900...0x1F9FF).contains(v) || (0x20000...0x3FFFD).contains(v) { return 2 }
        return 1
    }

    /// The width of one grapheme: its first scalar decides; the rest are combining.
    public static func of(_ character: Character) -> Int {
        guard let first = character.unicodeScalars.first else { return 0 }
        return of(first)
    }

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
