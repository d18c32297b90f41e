import Foundation
import OrderPayCore

extension ConsoleView {
    static func drawPane(_ screen: inout Screen, _ state: ConsoleState, _ pane: PaneID, _ rect: Rect) {
        let focused = state.focus == pane && state.overlays.isEmpty
        switch pane {
        case .users:
            drawTable(&screen, rect, "\(pane.rawValue) Users", state.users, Columns.users, state.visibleUsers, focused: focused, glyphs: state.glyphs, now: state.now)
        case .orders:
            drawTable(&screen, rect, "\(pane.rawValue) Orders", state.orders, Columns.orders, state.visibleOrders, focused: focused, glyphs: state.glyphs, now: state.now)
        case .payments:
            drawTable(&screen, rect, "\(pane.rawValue) Payments", state.payments, Columns.payments, state.visiblePayments, focused: focused, glyphs: state.glyphs, now: state.now)
        case .events: drawEvents(&screen, state, rect, focused: focused)
        case .registry: drawRegistry(&screen, state, rect, focused: focused)
        }
    }

    /// Column widths for `available` columns: drop trailing columns that do not fit, give the rest to the last.
    static func widths<Row>(_ columns: [Column<Row>], available: Int) -> [Int] {
        var widths: [Int] = []
        var used = 0
        for column in columns {
            let need = column.width + (widths.isEmpty ? 0 : 1)
            if used + need > available { break }
            widths.append(column.width); used += need
        }
        if !widths.isEmpty { widths[widths.count - 1] += available - used }
        return widths
    }

    /// - Parameter shown: the rows the `/` filter leaves of the page, counted in the title: the
    ///   filter sees only the page on screen, and "1–23 of 200 /card" over three rows read as a
    ///   search of all 200.
    static func tableTitle<Row>(_ base: String, _ table: TableState<Row>, shown: Int, glyphs: Glyphs) -> String {
        var title = base
        if table.loaded {
            // No rows is "0 of 0", not a range: "0–0 of 0" read like rows that went missing.
            if table.total == 0 {
                title += " 0 of 0"
            } else {
                let first = table.page * table.pageSize + 1
                let last = min(table.total, (table.page + 1) * table.pageSize)
                title += " \(first)–\(last) of \(table.total)"
            }
        }
        if let status = table.query.status { title += " status=\(status)" }
        if let text = table.query.text { title += " \"\(text)\"" }
        if !table.filter.isEmpty { title += " /\(table.filter.text): \(shown) of \(table.rows.count) on this page" }
        if !table.marked.isEmpty { title += " \(glyphs.markGlyph)\(table.marked.count) marked" }
        return title
    }

    /// What an empty table says: none at all ("no orders yet"), none for the server-side query
    /// ("no payments with status=FAILED"), or none on this page for the `/` filter.
    static func emptyText<Row>(_ name: String, _ table: TableState<Row>) -> String {
        if !table.filter.isEmpty { return "no rows match /\(table.filter.text) on this page" }
        guard table.total == 0 else { return "nothing here" }
        let noun = (name.split(separator: " ").last.map(String.init) ?? "rows").lowercased()
        var conditions: [String] = []
        if let status = table.query.status { conditions.append("status=\(status)") }
        if let text = table.query.text { conditions.append("\"\(text)\"") }
        return conditions.isEmpty ? "no \(noun) yet" : "no \(noun) with \(conditions.joined(separator: " "))"
    }

    static func drawTable<Row>(_ screen: inout Screen, _ rect: Rect, _ name: String, _ table: TableState<Row>, _ columns: [Column<Row>],
                               _ rows: [Row], focused: Bool, glyphs: Glyphs, now: Date) {
        drawBox(&screen, rect, title: tableTitle(name, table, shown: rows.count, glyphs: glyphs), focused: focused, glyphs: glyphs)
        let inner = Rect(x: rect.x + 1, y: rect.y + 1, width: rect.width - 2, height: rect.height - 2)
        guard inner.width > 4, inner.height > 1 else { return }
        let markWidth = 2
        let widths = self.widths(columns, available: inner.width - markWidth)
        var x = inner.x + markWidth
        for (i, width) in widths.enumerated() {
            let sortMark = table.sortColumn == i ? (table.sortDescending ? "↓" : "↑") : ""
            screen.put(TextWidth.fit(columns[i].title + sortMark, width, alignRight: columns[i].alignRight), x: x, y: inner.y, role: .tableHeader)
            x += width + 1
        }
        if let error = table.error {
            screen.put(TextWidth.truncate(error, to: inner.width), x: inner.x, y: inner.y + 1, role: .error)
            // Said, so the operator knows the pane heals by itself and need not press Ctrl-R,
            // and, while the retry is on its way, that it is.
            if let line = table.reload.retryLine(now: now, ellipsis: glyphs.ellipsis), inner.height > 2 {
                screen.put(TextWidth.truncate(line, to: inner.width), x: inner.x, y: inner.y + 2, role: .muted)
            }
            return
        }
        if table.loaded && rows.isEmpty {
            screen.put(emptyText(name, table), x: inner.x + 2, y: inner.y + 1, role: .muted)
        }
        for (index, row) in rows.prefix(inner.height - 1).enumerated() {
            let y = inner.y + 1 + index
            let marked = table.marked.contains(row.rowId)
            if marked { screen.put(glyphs.markGlyph, x: inner.x, y: y, role: .marked) }
            var x = inner.x + markWidth
            for (i, width) in widths.enumerated() {
                let column = columns[i]
                screen.put(TextWidth.fit(column.value(row, glyphs), width, alignRight: column.alignRight), x: x, y: y, role: column.role(row))
                x += width + 1
            }
            if focused && index == table.cursor { screen.restyle(x: inner.x, y: y, width: inner.width, role: .cursor) } else if !focused && index == table.cursor {
                screen.put(glyphs.ascii ? ">" : "›", x: inner.x, y: y, role: .muted)
            }
        }
    }

    static func eventSummary(_ e: EventEnvelope) -> String {
        switch e.payload {
        case .orderCreated(let p): "order #\(p.orderId) created \(p.totalAmount) user \(p.userId) \(p.paymentMethod.rawValue)"
        case .paymentProcessed(let p):
            "payment #\(p.paymentId) \(p.status.rawValue) \(p.amount) order #\(p.orderId) try \(p.attempt)" + (p.failureReason.map { ": \($0)" } ?? "")
        case .orderStatusUpdated(let p):
            "order #\(p.orderId) \(p.from?.rawValue ?? "—") → \(p.to.rawValue)" + (p.reason.map { " (\($0))" } ?? "")
        case .undecodable(let u): "unreadable \(u.type) event (key \(u.key)): \(u.reason)"
        }
    }

    static func drawEvents(_ screen: inout Screen, _ state: ConsoleState, _ rect: Rect, focused: Bool) {
        let events = state.events
        var title = "4 Events \(events.endIndex)"
        if let topic = events.topic { title += " topic=\(topic.rawValue)" }
        if events.pausedAt != nil { title += " PAUSED +\(events.newWhilePaused) new" } else { title += events.follow ? " following" : " scrolled" }
        if let connection = events.connection { title += " (\(connection.text))" }
        drawBox(&screen, rect, title: title, focused: focused, glyphs: state.glyphs)
        let inner = Rect(x: rect.x + 1, y: rect.y + 1, width: rect.width - 2, height: rect.height - 2)
        guard inner.width > 4, inner.height > 0 else { return }
        let shown = events.shown
        // Lines (wrapped or not) for the events up to the cursor, bottom-aligned.
        let anchor = events.follow && events.pausedAt == nil ? (shown.last?.index ?? 0) : events.cursor
        var lines: [(text: String, role: CellRole, selected: Bool)] = []
        for (index, event) in shown.reversed() where index <= anchor {
            let time = events.showTimestamps ? ClockText.text(event.envelope.occurredAt, clock).prefix(8) + " " : ""
            let text = "\(time)\(TextWidth.fit(topicLabel(event.envelope.topic), 9)) \(eventSummary(event.envelope))"
            let chunks = events.wrap ? wrap(text, inner.width) : [text]
            let selected = focused && !events.follow && index == events.cursor
            for chunk in chunks.reversed() { lines.append((chunk, Glyphs.role(for: event.envelope.topic), selected)) }
            if lines.count >= inner.height { break }
        }
        if shown.isEmpty {
            // A refused stream is over for good: "waiting" would promise events that never come.
            switch events.connection?.refusal {
            case .forbidden?: screen.put(TextWidth.truncate("the events pane needs the ADMIN role (the stream was refused)", to: inner.width - 1), x: inner.x + 1, y: inner.y, role: .warn)
            case .some: screen.put(TextWidth.truncate("no live events: \(events.connection?.text ?? "")", to: inner.width - 1), x: inner.x + 1, y: inner.y, role: .warn)
            case nil: screen.put("waiting for events…", x: inner.x + 1, y: inner.y, role: .muted)
            }
        }
        for (i, line) in lines.prefix(inner.height).enumerated() {
            let y = inner.y + inner.height - 1 - i
            screen.put(TextWidth.truncate(line.text, to: inner.width), x: inner.x, y: y, role: line.role)
            if line.selected { screen.restyle(x: inner.x, y: y, width: inner.width, role: .cursor) }
        }
    }

    /// Short topic names, so the summary gets the width.
    static func topicLabel(_ topic: Topic) -> String {
        switch topic {
        case .orderCreated: "created"
        case .paymentProcessed: "payment"
        case .orderStatusUpdated: "status"
        }
    }

    static func wrap(_ text: String, _ width: Int) -> [String] {
        var out: [String] = [], line = "", used = 0
        for ch in text {
            let w = TextWidth.of(ch)
            if used + w > width { out.append(line); line = "  "; used = 2 }
            line.append(ch); used += w
        }
        out.append(line)
        return out
    }

    static func age(_ seconds: TimeInterval) -> String {
        let s = Int(seconds.rounded())
        if s < 0 { return "-\(age(-seconds))" }
        return s < 120 ? "\(s)s" : s < 7200 ? "\(s / 60)m" : "\(s / 3600)h"
    }

    static func drawRegistry(_ screen: inout Screen, _ state: ConsoleState, _ rect: Rect, focused: Bool) {
        drawBox(&screen, rect, title: "5 Registry \(state.registry.instances.count)", focused: focused, glyphs: state.glyphs)
        let inner = Rect(x: rect.x + 1, y: rect.y + 1, width: rect.width - 2, height: rect.height - 2)
        guard inner.width > 4, inner.height > 1 else { return }
        let columns: [(String, Int)] = [("APP", 16), ("STATUS", 10), ("BEAT", 5), ("LEASE", 5), ("INSTANCE", 24)]
        var widths: [Int] = [], used = 0
        for (_, w) in columns where used + w + 1 <= inner.width { widths.append(w); used += w + 1 }
        if !widths.isEmpty { widths[widths.count - 1] += inner.width - used }
        var x = inner.x
        for (i, w) in widths.enumerated() { screen.put(TextWidth.fit(columns[i].0, w), x: x, y: inner.y, role: .tableHeader); x += w + 1 }
        if let error = state.registry.error {
            screen.put(TextWidth.truncate(error, to: inner.width), x: inner.x, y: inner.y + 1, role: .error)
            if let line = state.registry.reload.retryLine(now: state.now, ellipsis: state.glyphs.ellipsis), inner.height > 2 {
                screen.put(TextWidth.truncate(line, to: inner.width), x: inner.x, y: inner.y + 2, role: .muted)
            }
            return
        }
        for (index, instance) in state.registry.instances.prefix(inner.height - 1).enumerated() {
            let y = inner.y + 1 + index
            let values: [(String, CellRole)] = [
                (instance.app, .body), (state.glyphs.status(instance.status), Glyphs.role(for: instance.status)),
                (age(state.now.timeIntervalSince(instance.lastRenewedAt)), .muted),
                (age(instance.leaseExpiresAt.timeIntervalSince(state.now)), instance.leaseExpiresAt < state.now ? .fail : .muted),
                (instance.instanceId, .muted),
            ]
            var x = inner.x
            for (i, w) in widths.enumerated() { screen.put(TextWidth.fit(values[i].0, w), x: x, y: y, role: values[i].1); x += w + 1 }
            if focused && index == state.registry.cursor { screen.restyle(x: inner.x, y: y, width: inner.width, role: .cursor) }
        }
    }
}
