import Foundation
import OrderPayCore

/// The console's view function: state → a grid of styled cells. Pure, so every screen can be
/// checked as text at any size.
public enum ConsoleView {
    static let clock: DateFormatter = {
        let f = DateFormatter(); f.locale = Locale(identifier: "en_US_POSIX"); f.timeZone = TimeZone(identifier: "UTC"); f.dateFormat = "HH:mm:ss"; return f
    }()

    public static func render(_ state: ConsoleState) -> Screen {
        var screen = Screen(width: state.width, height: state.height)
        let layout = Layout(state)
        if layout.tooSmall {
            drawTooSmall(&screen, state)
            if state.asciiOnly { screen.useASCIIStandIns() }
            return screen
        }
        drawHeader(&screen, state)
        if let banner = state.banner {
            screen.fill(x: 0, y: 1, width: state.width, height: 1, role: .banner)
            screen.put(" \(state.glyphs.mark(.warn)) \(banner)", x: 0, y: 1, role: .banner)
        }
        if layout.tabs && !state.events.fullscreen { drawTabs(&screen, state, y: layout.bodyTop) }
        for (pane, rect) in layout.panes { drawPane(&screen, state, pane, rect) }
        let body = Rect(x: 0, y: layout.bodyTop, width: state.width, height: state.height - layout.bodyTop - 1)
        for overlay in state.overlays { drawOverlay(&screen, state, overlay, body) }
        drawToasts(&screen, state)
        drawFooter(&screen, state)
        if state.asciiOnly { screen.useASCIIStandIns() }
        return screen
    }

    static func drawTooSmall(_ screen: inout Screen, _ state: ConsoleState) {
        let lines = ["terminal too small: needs \(Layout.minWidth)×\(Layout.minHeight)", "(now \(state.width)×\(state.height)) — resize, or q to quit"]
        for (i, line) in lines.enumerated() {
            let fitted = TextWidth.truncate(line, to: state.width)
            let y = state.height / 2 - 1 + i
            screen.put(fitted, x: max(0, (state.width - TextWidth.of(fitted)) / 2), y: y, role: i == 0 ? .warn : .muted)
        }
    }

    static func drawHeader(_ screen: inout Screen, _ state: ConsoleState) {
        screen.fill(x: 0, y: 0, width: state.width, height: 1, role: .header)
        let sep = " \(state.glyphs.separator) "
        let time = ClockText.text(state.now, clock)
        let limit = state.width - TextWidth.of(time) - 2
        // Cut to leave the clock a gap: on a narrow terminal the operator ran into the time.
        let title = " OrderPay" + sep + state.modeName + sep + state.endpoint + sep + state.operatorName + (state.readOnly ? " (read-only)" : "")
        var x = screen.put(TextWidth.truncate(title, to: limit - 1), x: 0, y: 0, role: .header)
        x += 2
        for status in OrderStatus.allCases {
            // A status missing from fetched counts has no orders; counts never fetched are unknown.
            let count = state.orderCounts.map { "\($0[status] ?? 0)" } ?? (state.asciiOnly ? "-" : "–")
            let text = "\(status.rawValue) \(count)"
            let width = TextWidth.of(text)
            if x + width > limit { break }
            screen.put(text, x: x, y: 0, role: Glyphs.role(for: status))
            x += width + 2
        }
        screen.put(time, x: state.width - TextWidth.of(time) - 1, y: 0, role: .header)
    }

    static func drawTabs(_ screen: inout Screen, _ state: ConsoleState, y: Int) {
        var x = 0
        for pane in PaneID.allCases {
            let label = " \(pane.rawValue) \(pane.title) "
            x += screen.put(label, x: x, y: y, role: pane == state.focus ? .focus : .muted)
            x += screen.put(state.glyphs.frame.v, x: x, y: y, role: .frame)
        }
    }

    static func drawFooter(_ screen: inout Screen, _ state: ConsoleState) {
        let y = state.height - 1
        screen.fill(x: 0, y: y, width: state.width, height: 1, role: .hint)
        if let input = state.input {
            let prompt = input.kind == .command ? ":" : "/"
            let x = screen.put(prompt + input.text, x: 0, y: y, role: .input)
            screen.put("▏", x: x, y: y, role: .input)
            return
        }
        // `n` waits for the catalog and the customers: seconds on a slow link, so it says so.
        if state.awaitingOrderForm {
            screen.put(" opening the new-order form\(state.glyphs.ellipsis)", x: 0, y: y, role: .hint)
            return
        }
        if let notice = state.notice { screen.put(" " + notice, x: 0, y: y, role: .hint); return }
        var x = 1
        for binding in hintBindings(state) {
            guard let key = binding.keys.first else { continue }
            let keyText = key.label(ascii: state.asciiOnly), help = binding.help.components(separatedBy: " (").first ?? binding.help
            if x + TextWidth.of(keyText) + TextWidth.of(help) + 2 > state.width { break }
            x += screen.put(keyText, x: x, y: y, role: .hintKey)
            x += screen.put(" \(help)  ", x: x, y: y, role: .hint)
        }
    }

    /// The hint bar's bindings: the focused context's first, then the global ones.
    static func hintBindings(_ state: ConsoleState) -> [KeyBinding] {
        let contexts: [KeyContext]
        switch state.topOverlay {
        case .detail?: contexts = [.detail]
        case .deadLetters?: contexts = [.deadLetters]
        case .none: contexts = ConsoleUpdate.dashboardContexts(state)
        default: return overlayHints(state)
        }
        var seen = Set<String>()
        return contexts.flatMap { context in Keymap.visible(in: [context], readOnly: state.readOnly).filter { $0.hint } }
            .filter { seen.insert($0.help).inserted }
    }

    static func overlayHints(_ state: ConsoleState) -> [KeyBinding] {
        func hint(_ key: Key, _ text: String) -> KeyBinding { KeyBinding(keys: [key], action: .back, context: .global, help: text, hint: true) }
        switch state.topOverlay {
        case .form?: return [hint(.tab, "next field"), hint(.right, "choose"), hint(.enter, "submit"), hint(.escape, "cancel")]
        case .confirm?: return [hint(.char("y"), "yes"), hint(.char("n"), "no")]
        default: return [hint(.escape, "close"), hint(.char("j"), "down"), hint(.char("k"), "up")]
        }
    }

    static func drawToasts(_ screen: inout Screen, _ state: ConsoleState) {
        for (i, toast) in state.toasts.reversed().enumerated() {
            let y = state.height - 2 - i
            guard y > 0 else { break }
            let text = " " + TextWidth.truncate(toast.text, to: state.width - 4) + " "
            screen.put(text, x: max(0, state.width - TextWidth.of(text) - 1), y: y, role: toast.isError ? .error : .toast)
        }
    }

    static func drawBox(_ screen: inout Screen, _ rect: Rect, title: String, focused: Bool, glyphs: Glyphs) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let f = glyphs.frame
        let role: CellRole = focused ? .focus : .frame
        screen.fill(x: rect.x, y: rect.y, width: rect.width, height: rect.height, role: .body)
        let horizontal = String(repeating: f.h, count: rect.width - 2)
        screen.put(f.tl + horizontal + f.tr, x: rect.x, y: rect.y, role: role)
        screen.put(f.bl + horizontal + f.br, x: rect.x, y: rect.y + rect.height - 1, role: role)
        for row in rect.y + 1 ..< rect.y + rect.height - 1 {
            screen.put(f.v, x: rect.x, y: row, role: role)
            screen.put(f.v, x: rect.x + rect.width - 1, y: row, role: role)
        }
        screen.put(" " + TextWidth.truncate(title, to: rect.width - 6) + " ", x: rect.x + 2, y: rect.y, role: focused ? .focus : .title)
    }
}

enum ClockText {
    static func text(_ date: Date, _ formatter: DateFormatter) -> String { formatter.string(from: date) + " UTC" }
}
