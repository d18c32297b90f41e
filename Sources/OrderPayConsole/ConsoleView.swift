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
        let time = ClockText.text(state.now, clock)
        // Cut to leave the clock a gap: on a narrow terminal the operator ran into the time.
        let limit = state.width - TextWidth.of(time) - 2
        let title = HeaderTitle(state)
        let (titleWidth, counts) = headerLayout(title: title, counts: orderCountTexts(state), limit: limit,
                                                 ellipsis: state.glyphs.ellipsis)
        var x = screen.put(title.text(width: titleWidth, ellipsis: state.glyphs.ellipsis), x: 0, y: 0, role: .header)
        x += 2
        for (text, status) in counts {
            x += screen.put(text, x: x, y: 0, role: status.map(Glyphs.role(for:)) ?? .header) + 2
        }
        screen.put(time, x: state.width - TextWidth.of(time) - 1, y: 0, role: .header)
    }

    /// " OrderPay ▸ mode ▸ endpoint ▸ operator", shortened where it says least: the endpoint (a
    /// data dir's path, a gateway's URL) keeps its end, then the rest is cut after " OrderPay".
    /// "(read-only)" goes with " OrderPay", so a narrow dashboard still says it changes nothing.
    struct HeaderTitle {
        let name: String
        let mode: String, endpoint: String, operatorName: String, separator: String

        init(_ state: ConsoleState) {
            name = " OrderPay" + (state.readOnly ? " (read-only)" : "")
            separator = " \(state.glyphs.separator) "
            mode = state.modeName
            endpoint = state.endpoint
            operatorName = state.operatorName
        }

        var full: String { name + separator + mode + separator + endpoint + separator + operatorName }
        /// The widest it is with its endpoint down to an ellipsis: the narrowest that names the operator.
        func compactWidth(ellipsis: String) -> Int { TextWidth.of(name + separator + mode + separator + ellipsis + separator + operatorName) }

        func text(width: Int, ellipsis: String) -> String {
            if TextWidth.of(full) <= width { return full }
            let compact = compactWidth(ellipsis: ellipsis)
            if width >= compact {
                let room = width - compact + TextWidth.of(ellipsis)
                return name + separator + mode + separator + TextWidth.tail(endpoint, to: room, ellipsis: ellipsis) + separator + operatorName
            }
            if width <= TextWidth.of(name) { return TextWidth.truncate(name, to: width, ellipsis: ellipsis) }
            return TextWidth.truncate(full, to: width, ellipsis: ellipsis)
        }
    }

    /// Each status's count as the header shows it, in full ("CANCELLED 5") and short ("CANC 5").
    static func orderCountTexts(_ state: ConsoleState) -> [(full: String, short: String, status: OrderStatus)] {
        OrderStatus.allCases.map { status in
            // A status missing from fetched counts has no orders; counts never fetched are unknown.
            let count = state.orderCounts.map { "\($0[status] ?? 0)" } ?? (state.asciiOnly ? "-" : "–")
            return ("\(status.rawValue) \(count)", "\(shortName(status)) \(count)", status)
        }
    }

    static func shortName(_ status: OrderStatus) -> String {
        switch status {
        case .created: "CRE"
        case .pending: "PEND"
        case .paid: "PAID"
        case .completed: "COMP"
        case .failed: "FAIL"
        case .cancelled: "CANC"
        }
    }

    /// The header's counts matter more on a dashboard than the data dir's path: on a narrow
    /// terminal the title gives way first (its endpoint, then all but " OrderPay"), then the counts take their short
    /// names, and only then do counts drop, the last shown followed by "…" so none is taken for all.
    static func headerLayout(title: HeaderTitle, counts: [(full: String, short: String, status: OrderStatus)],
                             limit: Int, ellipsis: String) -> (titleWidth: Int, counts: [(String, OrderStatus?)]) {
        func width(_ texts: [String]) -> Int { texts.map(TextWidth.of).reduce(0, +) + 2 * texts.count }
        let titleWidth = TextWidth.of(title.full)
        let full = counts.map(\.full), short = counts.map(\.short)
        if titleWidth + width(full) <= limit { return (titleWidth, counts.map { ($0.full, $0.status) }) }
        if title.compactWidth(ellipsis: ellipsis) + width(full) <= limit {
            return (limit - width(full), counts.map { ($0.full, $0.status) })
        }
        let shortestTitle = TextWidth.of(title.name)
        if shortestTitle + width(short) <= limit { return (limit - width(short), counts.map { ($0.short, $0.status) }) }
        var shown: [(String, OrderStatus?)] = []
        var used = shortestTitle
        for count in counts {
            guard used + TextWidth.of(count.short) + 2 + 2 + TextWidth.of(ellipsis) <= limit else { break }   // room for the ellipsis after it
            shown.append((count.short, count.status)); used += TextWidth.of(count.short) + 2
        }
        shown.append((ellipsis, nil))
        return (shortestTitle, shown)
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
