/// A key press as the console's update function sees it, whatever terminal produced it.
public enum Key: Hashable, Sendable, CustomStringConvertible {
    case char(Character)
    case ctrl(Character)
    case enter, escape, tab, backTab, backspace, delete
    case up, down, left, right, pageUp, pageDown, home, end
    case function(Int)

    /// Names a script may use between angle brackets, e.g. `<Enter>`, `<C-r>`, `<PgDn>`.
    public static let named: [String: Key] = [
        "enter": .enter, "return": .enter, "cr": .enter, "esc": .escape, "escape": .escape,
        "tab": .tab, "s-tab": .backTab, "backtab": .backTab, "bs": .backspace, "backspace": .backspace,
        "del": .delete, "delete": .delete, "up": .up, "down": .down, "left": .left, "right": .right,
        "pgup": .pageUp, "pageup": .pageUp, "pgdn": .pageDown, "pagedown": .pageDown, "home": .home, "end": .end,
        "space": .char(" "), "lt": .char("<"), "gt": .char(">"),
    ]

    /// Parses a key name as written in scripts and the help: `Enter`, `C-r`, `F1`, `q`.
    public init?(name: String) {
        let lower = name.lowercased()
        if let key = Key.named[lower] { self = key; return }
        if lower.hasPrefix("c-"), name.count == 3, let ch = name.last { self = .ctrl(Character(ch.lowercased())); return }
        if lower.hasPrefix("f"), let n = Int(lower.dropFirst()), (1...12).contains(n) { self = .function(n); return }
        if name.count == 1, let ch = name.first { self = .char(ch); return }
        return nil
    }

    public var description: String {
        switch self {
        case .char(" "): "Space"
        case .char(let c): String(c)
        case .ctrl(let c): "C-\(c)"
        case .enter: "Enter"
        case .escape: "Esc"
        case .tab: "Tab"
        case .backTab: "S-Tab"
        case .backspace: "BS"
        case .delete: "Del"
        case .up: "↑"
        case .down: "↓"
        case .left: "←"
        case .right: "→"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .home: "Home"
        case .end: "End"
        case .function(let n): "F\(n)"
        }
    }

    /// The key's name on screen: arrows are words (`Down`) on a terminal without UTF-8.
    public func label(ascii: Bool) -> String {
        switch self {
        case .up, .down, .left, .right: ascii ? scriptName : description
        default: description
        }
    }

    /// The name a key script uses for this key (`<Enter>`, `<C-r>`, `<S-Tab>`…); a character is itself.
    public var scriptName: String {
        switch self {
        case .char(" "): "Space"
        case .char("<"): "lt"
        case .char(">"): "gt"
        case .char(let c): String(c)
        case .up: "Up"
        case .down: "Down"
        case .left: "Left"
        case .right: "Right"
        default: description
        }
    }
}
