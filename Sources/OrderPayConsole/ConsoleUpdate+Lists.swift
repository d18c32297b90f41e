import Foundation
import OrderPayCore

extension ConsoleUpdate {
    static func move(_ state: inout ConsoleState, _ action: KeyAction) -> [Effect] {
        switch state.focus {
        case .users: return move(&state.users, state.visibleUsers.count, action, .users)
        case .orders: return move(&state.orders, state.visibleOrders.count, action, .orders)
        case .payments: return move(&state.payments, state.visiblePayments.count, action, .payments)
        case .events: moveEvents(&state, action)
        case .registry:
            let count = state.registry.instances.count
            state.registry.cursor = clampedStep(state.registry.cursor, count: count, action: action, page: 5)
        }
        return []
    }

    static func clampedStep(_ cursor: Int, count: Int, action: KeyAction, page: Int) -> Int {
        guard count > 0 else { return 0 }
        switch action {
        case .down: return min(count - 1, cursor + 1)
        case .up: return max(0, cursor - 1)
        case .pageDown: return min(count - 1, cursor + page)
        case .pageUp: return max(0, cursor - page)
        case .top: return 0
        case .bottom: return count - 1
        default: return cursor
        }
    }

    /// Moves a table's cursor; stepping off its page fetches the next or previous page.
    static func move<Row>(_ table: inout TableState<Row>, _ visible: Int, _ action: KeyAction, _ pane: PaneID) -> [Effect] {
        let lastPage = max(0, (table.total - 1) / max(1, table.pageSize))
        func go(page: Int, cursor: Int) -> [Effect] {
            let page = min(max(0, page), lastPage)
            if page == table.page { table.cursor = min(max(0, cursor), max(0, visible - 1)); return [] }
            table.page = page
            table.cursor = max(0, cursor)
            return [.load(pane)]
        }
        switch action {
        case .down:
            if table.cursor + 1 < visible { table.cursor += 1; return [] }
            return table.page < lastPage ? go(page: table.page + 1, cursor: 0) : []
        case .up:
            if table.cursor > 0 { table.cursor -= 1; return [] }
            return table.page > 0 ? go(page: table.page - 1, cursor: table.pageSize - 1) : []
        case .pageDown: return table.page < lastPage ? go(page: table.page + 1, cursor: table.cursor) : go(page: table.page, cursor: visible - 1)
        case .pageUp: return table.page > 0 ? go(page: table.page - 1, cursor: table.cursor) : go(page: 0, cursor: 0)
        case .top: return go(page: 0, cursor: 0)
        case .bottom: return go(page: lastPage, cursor: max(0, (table.total - 1) % max(1, table.pageSize)))
        default: return []
        }
    }

    static func moveEvents(_ state: inout ConsoleState, _ action: KeyAction) {
        let shown = state.events.shown.map(\.index)
        guard !shown.isEmpty else { return }
        let position = shown.lastIndex { $0 <= state.events.cursor } ?? shown.count - 1
        let next = clampedStep(position, count: shown.count, action: action, page: 10)
        state.events.cursor = shown[next]
        // Moving off the newest event stops following; End (G) follows again.
        state.events.follow = action == .bottom || (state.events.follow && next == shown.count - 1 && action != .up)
        if action == .bottom { state.events.pausedAt = nil }
    }

    static func openDetail(_ state: inout ConsoleState) -> [Effect] {
        let request: DetailRequest
        switch state.focus {
        case .users: guard let u = state.selectedUser else { return [] }; request = .user(u.id)
        case .orders: guard let o = state.selectedOrder else { return [] }; request = .order(o.id)
        case .payments: guard let p = state.selectedPayment else { return [] }; request = .payment(p.id)
        case .events:
            guard let event = state.events.shown.last(where: { $0.index <= state.events.cursor })?.event else { return [] }
            state.overlays.append(.detail(DetailState(content: .event(event))))
            return []
        case .registry: return []
        }
        state.overlays.append(.detail(DetailState(content: .loading(request.label), request: request)))
        return [.loadDetail(request)]
    }

    /// Sorts the page on the client. The selection stays on its row, not at its index, which
    /// would now hold another order.
    static func sort(_ state: inout ConsoleState, _ action: KeyAction) {
        let glyphs = state.glyphs
        func step<Row>(_ table: inout TableState<Row>, _ columns: [Column<Row>]) {
            let before = Columns.visible(table, columns, glyphs)
            let selected = before.indices.contains(table.cursor) ? before[table.cursor].rowId : nil
            let count = columns.count
            switch action {
            case .sortNext: table.sortColumn = ((table.sortColumn ?? -1) + 1) % count
            case .sortPrevious: table.sortColumn = ((table.sortColumn ?? count) - 1 + count) % count
            default: table.sortDescending.toggle(); if table.sortColumn == nil { table.sortColumn = 0 }
            }
            if let selected, let index = Columns.visible(table, columns, glyphs).firstIndex(where: { $0.rowId == selected }) { table.cursor = index }
        }
        switch state.focus {
        case .users: step(&state.users, Columns.users)
        case .orders: step(&state.orders, Columns.orders)
        case .payments: step(&state.payments, Columns.payments)
        default: break
        }
    }
}
