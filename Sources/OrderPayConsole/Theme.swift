import Foundation

/// A colour as a theme file writes it.
public enum ThemeColor: Equatable, Sendable {
    case `default`
    case index(Int)
    case rgb(UInt8, UInt8, UInt8)

    static let names = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]

    /// `default`, a colour name (`red`, `bright-red`), `#rrggbb` or a 0–255 palette index.
    public init?(parsing text: String) {
        let t = text.lowercased()
        if t == "default" || t == "none" { self = .default; return }
        if let i = ThemeColor.names.firstIndex(of: t) { self = .index(i); return }
        if t.hasPrefix("bright-"), let i = ThemeColor.names.firstIndex(of: String(t.dropFirst(7))) { self = .index(i + 8); return }
        if t.hasPrefix("#"), t.count == 7, let v = UInt32(t.dropFirst(), radix: 16) {
            self = .rgb(UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)); return
        }
        if let n = Int(t), (0...255).contains(n) { self = .index(n); return }
        return nil
    }

    /// The palette index to use on a terminal with `depth` colours; -1 is the terminal's default.
    public func index(for depth: ColorDepth) -> Int {
        switch (self, depth) {
        case (_, .mono), (.default, _): return -1
        case (.index(let i), .c256): return i
        case (.index(let i), .c8): return i < 16 ? i % 8 : ThemeColor.basic(ThemeColor.rgb(ofIndex: i))
        case (.rgb(let r, let g, let b), .c256): return ThemeColor.nearest256(r, g, b)
        case (.rgb(let r, let g, let b), .c8): return ThemeColor.basic((r, g, b))
        }
    }

    static let cube: [Int] = [0, 95, 135, 175, 215, 255]

    /// The xterm-256 cube or grey ramp entry nearest to an RGB colour.
    static func nearest256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
        func level(_ v: UInt8) -> Int { cube.enumerated().min { abs($0.element - Int(v)) < abs($1.element - Int(v)) }!.offset }
        let (ri, gi, bi) = (level(r), level(g), level(b))
        let cubeIndex = 16 + 36 * ri + 6 * gi + bi
        let cubeDistance = distance((cube[ri], cube[gi], cube[bi]), (Int(r), Int(g), Int(b)))
        let grey = (Int(r) + Int(g) + Int(b)) / 3
        let greyStep = min(23, max(0, (grey - 8 + 5) / 10))
        let greyValue = 8 + greyStep * 10
        let greyDistance = distance((greyValue, greyValue, greyValue), (Int(r), Int(g), Int(b)))
        return greyDistance < cubeDistance ? 232 + greyStep : cubeIndex
    }

    static func distance(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
        (a.0 - b.0) * (a.0 - b.0) + (a.1 - b.1) * (a.1 - b.1) + (a.2 - b.2) * (a.2 - b.2)
    }

    static func rgb(ofIndex i: Int) -> (UInt8, UInt8, UInt8) {
        if i >= 232 { let v = UInt8(8 + (i - 232) * 10); return (v, v, v) }
        let c = i - 16
        return (UInt8(cube[c / 36]), UInt8(cube[c / 6 % 6]), UInt8(cube[c % 6]))
    }

    /// The nearest of the 8 basic colours (their usual RGB values).
    static func basic(_ rgb: (UInt8, UInt8, UInt8)) -> Int {
        let palette = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229)]
        let c = (Int(rgb.0), Int(rgb.1), Int(rgb.2))
        return palette.indices.min { distance(palette[$0], c) < distance(palette[$1], c) }!
    }
}

/// How many colours the terminal shows: 256 → 8 → none.
public enum ColorDepth: String, Sendable { case c256, c8, mono }

public enum TextAttribute: String, CaseIterable, Sendable { case bold, reverse, underline, dim }

public struct Style: Equatable, Sendable {
    public var foreground: ThemeColor = .default
    public var background: ThemeColor = .default
    public var attributes: Set<TextAttribute> = []
    public init(foreground: ThemeColor = .default, background: ThemeColor = .default, attributes: Set<TextAttribute> = []) {
        self.foreground = foreground; self.background = background; self.attributes = attributes
    }
}

/// Styles keyed by role. A role a theme leaves out looks like `body`.
public struct Theme: Equatable, Sendable {
    public var name: String
    public var styles: [CellRole: Style]

    public init(name: String, styles: [CellRole: Style]) { self.name = name; self.styles = styles }

    public func style(_ role: CellRole) -> Style { styles[role] ?? styles[.body] ?? Style() }

    /// Without colour, roles that colour alone would set apart get an attribute instead. So do they
    /// when the theme gives them nothing of their own (a role left out, or the empty `fallback`): the
    /// cursor, the focused pane and the active tab must never look like the body.
    public func style(_ role: CellRole, depth: ColorDepth) -> Style {
        var style = style(role)
        guard depth == .mono || (role != .body && style == self.style(.body)) else { return style }
        switch role {
        case .cursor, .header, .banner, .input: style.attributes.insert(.reverse)
        case .focus, .title, .hintKey, .fail, .error, .tableHeader: style.attributes.insert(.bold)
        case .marked, .warn: style.attributes.insert(.underline)
        case .muted: style.attributes.insert(.dim)
        default: break
        }
        return style
    }

    /// Used when no theme can be loaded at all: no colours; `style(_:depth:)` still sets the cursor,
    /// focus and failures apart with attributes.
    public static let fallback = Theme(name: "fallback", styles: [:])
}

public struct ThemeError: Error, CustomStringConvertible, Equatable {
    public let description: String
}
