import Foundation
import OrderPayCore

extension ConsoleView {
    typealias Line = (text: String, role: CellRole)

    static func drawOverlay(_ screen: inout Screen, _ state: ConsoleState, _ overlay: Overlay, _ body: Rect) {
        switch overlay {
        case .help(let help):
            let lines = helpLines(state), height = helpViewport(state).height
            let start = min(help.scroll, max(0, lines.count - height))
            // When it does not fit, the title says where the page is (j/k and PgUp/PgDn scroll).
            let position = lines.count > height ? " \(start + 1)–\(min(lines.count, start + height)) of \(lines.count)" : ""
            drawLines(&screen, body, "Help — every key" + position, lines, scroll: start, glyphs: state.glyphs)
        case .detail(let detail):
            let (title, lines) = detailLines(detail.content, state)
            // Wrapped, not cut: on a narrow terminal an address or a failure reason would lose its
            // end with no key to reach it (j/k scroll rows, not columns).
            drawLines(&screen, body, title, wrapped(lines, body.width - 4), scroll: detail.scroll, glyphs: state.glyphs)
        case .form(let form): drawForm(&screen, state, form, body)
        case .confirm(let confirm): drawConfirm(&screen, state, confirm, body)
        case .audit(let audit):
            let lines: [Line] = audit.entries.isEmpty ? [("no actions yet", .muted)] : audit.entries.map { e in
                // The action gives way to the outcome when the line is too long (a typed address):
                // "… ▸ failed: why" must stay readable.
                let head = "\(ClockText.text(e.at, clock).prefix(8)) \(e.who) [\(e.mode)] "
                let tail = " \(state.glyphs.separator) \(e.outcome)"
                let room = max(20, body.width - 4 - TextWidth.of(head) - TextWidth.of(tail))
                return (head + TextWidth.truncate(e.action, to: room, ellipsis: state.glyphs.ellipsis) + tail, e.ok ? .ok : .fail)
            }
            drawLines(&screen, body, "Audit log (\(audit.entries.count))", lines, scroll: max(0, audit.scroll - (body.height - 3)), glyphs: state.glyphs)
        case .deadLetters(let letters):
            var lines: [Line] = letters.letters.map { l in
                ("#\(l.id) \(l.group) \(l.event.topic.rawValue) order \(l.event.key) ×\(l.attempts) \(l.replayed ? "replayed" : "pending"): \(l.error)",
                 l.replayed ? .muted : .warn)
            }
            if lines.isEmpty { lines = [(letters.loaded ? "no dead letters" : "loading…", .muted)] }
            drawLines(&screen, body, "Dead letters", lines, scroll: max(0, letters.cursor - (body.height - 3)), glyphs: state.glyphs,
                      cursor: letters.letters.isEmpty ? nil : letters.cursor)
        }
    }

    static func drawLines(_ screen: inout Screen, _ rect: Rect, _ title: String, _ lines: [Line], scroll: Int, glyphs: Glyphs, cursor: Int? = nil) {
        drawBox(&screen, rect, title: title, focused: true, glyphs: glyphs)
        let inner = Rect(x: rect.x + 2, y: rect.y + 1, width: rect.width - 4, height: rect.height - 2)
        let start = min(scroll, max(0, lines.count - inner.height))
        for (i, line) in lines.dropFirst(start).prefix(inner.height).enumerated() {
            screen.put(TextWidth.truncate(line.text, to: inner.width), x: inner.x, y: inner.y + i, role: line.role)
            if cursor == start + i { screen.restyle(x: inner.x, y: inner.y + i, width: inner.width, role: .cursor) }
        }
    }

    /// The columns and rows inside the help box: the body less the frame and its margins.
    static func helpViewport(_ state: ConsoleState) -> (width: Int, height: Int) {
        let body = state.height - Layout(state).bodyTop - 1
        return (max(1, state.width - 4), max(1, body - 2))
    }

    /// The help, wrapped to the box's width (a key's description continues under itself) so that
    /// scrolling reaches every word at any size.
    static func helpLines(_ state: ConsoleState) -> [Line] {
        let width = helpViewport(state).width
        var lines: [Line] = []
        let sections: [(String, KeyContext)] = [("Everywhere", .global), ("Lists", .list), ("Orders", .orders), ("Payments", .payments),
                                                ("Users", .users), ("Events", .events), ("Dead letters", .deadLetters), ("Detail", .detail)]
        for (name, context) in sections {
            let bindings = Keymap.visible(in: [context], readOnly: state.readOnly)
            guard !bindings.isEmpty else { continue }
            lines.append((name, .title))
            for b in bindings {
                let keys = "  " + TextWidth.fit(b.keys.map { $0.label(ascii: state.asciiOnly) }.joined(separator: " "), 14)
                for (i, part) in wrapWords(b.help, width - TextWidth.of(keys)).enumerated() {
                    lines.append(((i == 0 ? keys : String(repeating: " ", count: TextWidth.of(keys))) + part, .body))
                }
            }
        }
        let commands = "Esc closes this help. Commands: :orders status=S user=EMAIL · :payments status=S · :user TEXT · :events topic=T · :order ID · :theme NAME · :audit · :q"
        lines += wrapWords(commands, width).map { ($0, .muted) }
        return lines
    }

    /// Each line too wide for `width` wrapped at its spaces, its continuations indented under its
    /// first word (a line's own leading spaces); the role kept.
    static func wrapped(_ lines: [Line], _ width: Int) -> [Line] {
        lines.flatMap { line -> [Line] in
            guard width > 8, TextWidth.of(line.text) > width else { return [line] }
            let indent = String(line.text.prefix { $0 == " " })
            let parts = wrapWords(String(line.text.dropFirst(indent.count)), width - indent.count - 2)
            return parts.enumerated().map { i, part in ((i == 0 ? indent : indent + "  ") + part, line.role) }
        }
    }

    /// `text` broken at spaces into lines of at most `width` columns; a word wider than that (an
    /// email, a URL, Korean written without spaces) is broken where it reaches the edge.
    static func wrapWords(_ text: String, _ width: Int) -> [String] {
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ").flatMap({ pieces(of: String($0), width) }) {
            let longer = line.isEmpty ? String(word) : line + " " + word
            if line.isEmpty || TextWidth.of(longer) <= width { line = longer } else { lines.append(line); line = String(word) }
        }
        return lines + [line]
    }

    /// `word` in pieces of at most `width` columns (a wide character is never split).
    static func pieces(of word: String, _ width: Int) -> [String] {
        guard width > 0, TextWidth.of(word) > width else { return [word] }
        var pieces: [String] = [], piece = "", used = 0
        for character in word {
            let w = TextWidth.of(String(character))
            if used + w > width, !piece.isEmpty { pieces.append(piece); piece = ""; used = 0 }
            piece.append(character); used += w
        }
        return pieces + [piece]
    }

    static func time(_ date: Date) -> String { String(ClockText.text(date, clock).prefix(8)) }

    static func detailLines(_ content: DetailContent, _ state: ConsoleState) -> (String, [Line]) {
        let g = state.glyphs
        switch content {
        case .loading(let what): return ("Loading", [("loading \(what)…", .muted)])
        case .failed(let message): return ("Error", [(message, .error)])
        case .order(let d):
            let o = d.order
            var lines: [Line] = [
                ("\(g.status(o.status))   total \(o.totalAmount)   \(o.paymentMethod.rawValue)", Glyphs.role(for: o.status)),
                ("number \(o.orderNumber)", .muted),
                ("customer \(d.user.map { "\($0.name) <\($0.email)>" } ?? "user \(o.userId)")   ship to \(o.shippingAddress)", .body),
            ]
            if let reason = o.failureReason { lines.append(("failure: \(reason)", .fail)) }
            lines.append(("", .body)); lines.append(("Items", .title))
            for item in o.orderItems {
                lines.append(("  \(TextWidth.fit(item.sku, 10)) \(TextWidth.fit(item.productName, 24)) ×\(TextWidth.fit("\(item.quantity)", 4)) \(TextWidth.fit("\(item.unitPrice)", 10, alignRight: true)) \(TextWidth.fit("\(item.subtotal)", 11, alignRight: true))", .body))
            }
            lines.append(("", .body)); lines.append(("Status history", .title))
            for h in d.history {
                lines.append(("  \(time(h.at))  \(h.from?.rawValue ?? "—") → \(h.to.rawValue)  \(h.reason ?? "")  by \(h.actor)", Glyphs.role(for: h.to)))
            }
            lines.append(("", .body))
            if let p = d.payment {
                lines.append(("Payment #\(p.id)  \(g.status(p.status))  \(p.amount)  attempts \(p.attempts)" + (p.transactionId.map { "  txn \($0)" } ?? ""), .title))
                for h in d.paymentHistory {
                    lines.append(("  \(time(h.at))  try \(h.attempt)  \(h.from?.rawValue ?? "—") → \(h.to.rawValue)  \(h.reason ?? "")", Glyphs.role(for: h.to)))
                }
                if p.status == .failed && !state.readOnly { lines.append(("r retries this payment", .hint)) }
            } else {
                lines.append(("no payment attempt yet", .muted))
            }
            return ("Order #\(o.id)", lines)
        case .payment(let d):
            let p = d.payment
            var lines: [Line] = [
                ("\(g.status(p.status))   \(p.amount)   \(p.paymentMethod.rawValue)   order #\(p.orderId)   user \(p.userId)", Glyphs.role(for: p.status)),
                ("attempts \(p.attempts)" + (p.transactionId.map { "   transaction \($0)" } ?? ""), .muted),
            ]
            if let reason = p.failureReason { lines.append(("failure reason: \(reason)", .fail)) }
            if let reason = p.refundReason { lines.append(("refund reason: \(reason)", .warn)) }
            lines.append(("", .body)); lines.append(("History", .title))
            for h in d.history {
                lines.append(("  \(time(h.at))  try \(h.attempt)  \(h.from?.rawValue ?? "—") → \(h.to.rawValue)  \(h.reason ?? "")  by \(h.actor)", Glyphs.role(for: h.to)))
            }
            if p.status == .failed && !state.readOnly { lines.append(("", .body)); lines.append(("r retries this payment", .hint)) }
            return ("Payment #\(p.id)", lines)
        case .user(let d):
            let u = d.user
            var lines: [Line] = [
                ("\(u.name) <\(u.email)>", .title),
                ("\(g.status(u.status))   roles \(u.roles.map(\.rawValue).joined(separator: ", "))", Glyphs.role(for: u.status)),
                ("phone \(u.phoneNumber ?? "—")   address \(u.address ?? "—")", .body),
                ("created \(ClockText.text(u.createdAt, clock))", .muted),
                ("", .body), ("Recent orders", .title),
            ]
            if d.recentOrders.isEmpty { lines.append(("  none", .muted)) }
            for o in d.recentOrders {
                lines.append(("  #\(TextWidth.fit("\(o.id)", 6)) \(TextWidth.fit(g.status(o.status), 12)) \(TextWidth.fit("\(o.totalAmount)", 10, alignRight: true))  \(time(o.createdAt))", Glyphs.role(for: o.status)))
            }
            return ("User #\(u.id)", lines)
        case .event(let e):
            var lines: [Line] = [("offset \(e.envelope.offset) · \(e.envelope.topic.rawValue) · key \(e.envelope.key)", .title)]
            lines += EventJSONText.lines(e.envelope).map { ($0, CellRole.body) }
            return ("Event \(e.envelope.eventId)", lines)
        }
    }

    static func centered(_ body: Rect, width: Int, height: Int) -> Rect {
        let w = min(width, body.width), h = min(height, body.height)
        return Rect(x: body.x + (body.width - w) / 2, y: body.y + (body.height - h) / 2, width: w, height: h)
    }

    /// A form's fields, then its total and its error. Where the form fits it is laid out with
    /// spacing; where it does not (60×16 with errors shown), the total and the error stay pinned
    /// under the fields and the fields scroll to keep the focused one (and its error) in view,
    /// so nothing is drawn over the frame.
    static func drawForm(_ screen: inout Screen, _ state: ConsoleState, _ form: FormState, _ body: Rect) {
        // One row per field, one more under a field with an error.
        var rows: [(field: Int, isError: Bool)] = []
        for (i, field) in form.fields.enumerated() {
            rows.append((i, false))
            if field.error != nil { rows.append((i, true)) }
        }
        var pinned: [Line] = []
        if form.kind == .placeOrder { pinned.append(("Total \(form.total(catalog: state.catalog).map { "\($0)" } ?? "—")", .title)) }
        if let error = form.error { pinned.append((error, .error)) }
        // Spaced: a blank row under the fields, one under the total, two under the error.
        let natural = rows.count + 2 + (form.kind == .placeOrder ? 2 : 0) + (form.error == nil ? 0 : 2)
        let rect = centered(body, width: 76, height: natural + 2)
        let inner = Rect(x: rect.x + 2, y: rect.y + 1, width: rect.width - 4, height: rect.height - 2)
        let fits = natural <= inner.height
        let viewport = fits ? rows.count : max(1, inner.height - pinned.count)
        let focused = (first: rows.firstIndex { $0.field == form.focus } ?? 0, last: rows.lastIndex { $0.field == form.focus } ?? 0)
        let start = min(focused.first, max(0, focused.last - viewport + 1))
        let shown = rows[start ..< min(rows.count, start + viewport)]

        var title = form.title + (form.submitting ? " — submitting…" : "")
        if !fits, let first = shown.first, let last = shown.last {
            title += " — fields \(first.field + 1)–\(last.field + 1) of \(form.fields.count)"
        }
        drawBox(&screen, rect, title: title, focused: true, glyphs: state.glyphs)
        // Labels get 14 columns, more when one of the form's needs it (up to a third of the box):
        // the retry form's "New token (empty: same)" was cut before it said what empty means.
        let longest = form.fields.map { TextWidth.of($0.label) }.max() ?? 0
        let labelWidth = min(max(14, longest), max(14, rect.width / 3)), valueWidth = rect.width - labelWidth - 6
        var y = inner.y
        for row in shown {
            let field = form.fields[row.field], isFocused = row.field == form.focus
            if row.isError, let error = field.error {
                screen.put(TextWidth.truncate("\(state.glyphs.mark(.fail)) \(error)", to: valueWidth), x: inner.x + labelWidth + 1, y: y, role: .error)
            } else {
                screen.put(TextWidth.fit(field.label, labelWidth), x: inner.x, y: y, role: isFocused ? .focus : .body)
                var value = field.displayValue
                switch field.kind {
                case .choice, .toggle: value = (state.glyphs.ascii ? "< " : "◂ ") + value + (state.glyphs.ascii ? " >" : " ▸")
                // Typing happens at the end: a value wider than the box shows its tail while it
                // has the focus, so what was typed last (and a typo in it) stays in view.
                default: if isFocused { value = TextWidth.tail(value, to: valueWidth - 1) + "▏" }
                }
                screen.put(TextWidth.fit(value, valueWidth), x: inner.x + labelWidth + 1, y: y, role: isFocused ? .input : .body)
            }
            y += 1
        }
        for line in pinned {
            if fits { y += 1 }
            guard y < inner.y + inner.height else { break }
            screen.put(TextWidth.truncate(line.text, to: inner.width), x: inner.x, y: y, role: line.role)
            y += 1
        }
    }

    static func drawConfirm(_ screen: inout Screen, _ state: ConsoleState, _ confirm: ConfirmState, _ body: Rect) {
        let width = min(72, body.width)
        // Broken between words: the question now ends with the order's address, read as a whole.
        let lines = wrapWords(confirm.question, width - 4)
        let rect = centered(body, width: width, height: lines.count + 4)
        drawBox(&screen, rect, title: "Confirm", focused: true, glyphs: state.glyphs)
        for (i, line) in lines.enumerated() { screen.put(TextWidth.truncate(line, to: width - 4), x: rect.x + 2, y: rect.y + 1 + i, role: .body) }
        screen.put("[y] yes   [n] no", x: rect.x + 2, y: rect.y + rect.height - 2, role: .hintKey)
    }
}
