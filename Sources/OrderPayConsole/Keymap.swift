/// What a key does. One table (`Keymap.bindings`) maps keys to these, and the same table writes
/// the help overlay and the hint bar, so the three never disagree.
public enum KeyAction: String, Sendable, CaseIterable {
    case quit, help, back, command, filter, refresh, copy, audit
    case focus1, focus2, focus3, focus4, focus5, nextPane, previousPane
    case down, up, pageDown, pageUp, top, bottom, open
    case sortNext, sortPrevious, sortInvert, mark
    case newOrder, retry, cancelOrder, completeOrder, refund, deadLetters, replay, newUser, toggleAdmin, toggleLock
    case follow, pause, timestamps, wrap, fullscreen, topic

    /// What the operator calls it: the help text of its first binding ("new order", not `newOrder`).
    public var label: String { Keymap.bindings.first { $0.action == self }?.help ?? rawValue }

    /// Actions that change data: hidden and refused in `--read-only`.
    public var mutates: Bool {
        switch self {
        case .newOrder, .retry, .cancelOrder, .completeOrder, .refund, .replay, .newUser, .toggleAdmin, .toggleLock: true
        default: false
        }
    }
}

/// Where a binding applies.
public enum KeyContext: String, Sendable {
    case global, list, users, orders, payments, events, deadLetters, detail
}

public struct KeyBinding: Sendable {
    public let keys: [Key]
    public let action: KeyAction
    public let context: KeyContext
    public let help: String
    /// Shown in the hint bar (the rest only in the help overlay).
    public let hint: Bool
}

public enum Keymap {
    private static func bind(_ keys: [Key], _ action: KeyAction, _ context: KeyContext, _ help: String, hint: Bool = false) -> KeyBinding {
        KeyBinding(keys: keys, action: action, context: context, help: help, hint: hint)
    }

    public static let bindings: [KeyBinding] = [
        bind([.char("?")], .help, .global, "help", hint: true),
        bind([.char("q"), .ctrl("c")], .quit, .global, "quit", hint: true),
        bind([.escape], .back, .global, "back / close / clear filter"),
        bind([.char(":")], .command, .global, "command line (:orders status=FAILED, :user kim, :theme mono, :q)", hint: true),
        bind([.char("/")], .filter, .global, "filter the pane (! inverts)", hint: true),
        bind([.char("1")], .focus1, .global, "users pane"),
        bind([.char("2")], .focus2, .global, "orders pane"),
        bind([.char("3")], .focus3, .global, "payments pane"),
        bind([.char("4")], .focus4, .global, "events pane"),
        bind([.char("5")], .focus5, .global, "registry pane"),
        bind([.tab], .nextPane, .global, "next pane"),
        bind([.backTab], .previousPane, .global, "previous pane"),
        bind([.ctrl("r")], .refresh, .global, "refresh"),
        bind([.char("A")], .audit, .global, "audit log"),
        bind([.char("d")], .deadLetters, .global, "dead letters"),
        bind([.char("n")], .newOrder, .global, "new order", hint: true),
        bind([.char("j"), .down], .down, .list, "down"),
        bind([.char("k"), .up], .up, .list, "up"),
        bind([.pageDown, .ctrl("f")], .pageDown, .list, "page down"),
        bind([.pageUp, .ctrl("b")], .pageUp, .list, "page up"),
        bind([.char("g"), .home], .top, .list, "first row"),
        bind([.char("G"), .end], .bottom, .list, "last row"),
        bind([.enter], .open, .list, "details", hint: true),
        bind([.char(">")], .sortNext, .list, "sort by next column"),
        bind([.char("<")], .sortPrevious, .list, "sort by previous column"),
        bind([.char("I")], .sortInvert, .list, "invert sort"),
        bind([.char("c")], .copy, .list, "copy the selected id (OSC 52)"),
        bind([.char(" ")], .mark, .payments, "mark for bulk retry"),
        bind([.char("r")], .retry, .payments, "retry payment(s)", hint: true),
        bind([.char("r")], .retry, .orders, "retry the order's payment", hint: true),
        bind([.char("x")], .cancelOrder, .orders, "cancel order", hint: true),
        bind([.char("C")], .completeOrder, .orders, "complete order"),
        bind([.char("R")], .refund, .payments, "refund payment"),
        bind([.char("u")], .newUser, .users, "new user", hint: true),
        bind([.char("a")], .toggleAdmin, .users, "grant / revoke admin"),
        bind([.char("l")], .toggleLock, .users, "lock / unlock", hint: true),
        bind([.char("s")], .follow, .events, "follow / unfollow", hint: true),
        bind([.char("p")], .pause, .events, "pause (counts new)", hint: true),
        bind([.char("t")], .timestamps, .events, "timestamps"),
        bind([.char("w")], .wrap, .events, "wrap"),
        bind([.char("f")], .fullscreen, .events, "fullscreen"),
        bind([.char("T")], .topic, .events, "cycle topic filter"),
        bind([.char("p"), .enter], .replay, .deadLetters, "replay dead letter", hint: true),
        bind([.char("j"), .down], .down, .detail, "scroll down"),
        bind([.char("k"), .up], .up, .detail, "scroll up"),
        bind([.char("r")], .retry, .detail, "retry payment"),
    ]

    /// The first binding of `key` among `contexts`, searched in the order given (most specific first).
    /// Mutating actions are found in read-only consoles too, so `update` can say why it refuses them.
    public static func action(for key: Key, in contexts: [KeyContext]) -> KeyAction? {
        for context in contexts {
            if let binding = bindings.first(where: { $0.context == context && $0.keys.contains(key) }) {
                return binding.action
            }
        }
        return nil
    }

    /// The bindings worth showing in these contexts (read-only consoles show no mutating ones).
    public static func visible(in contexts: [KeyContext], readOnly: Bool) -> [KeyBinding] {
        bindings.filter { contexts.contains($0.context) && !(readOnly && $0.action.mutates) }
    }
}
