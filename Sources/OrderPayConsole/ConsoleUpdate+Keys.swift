import Foundation
import OrderPayCore

extension ConsoleUpdate {
    static func handleKey(_ state: inout ConsoleState, _ key: Key) -> [Effect] {
        if key == .ctrl("c") { return quit(&state) }
        if state.input != nil { return handleInput(&state, key) }
        if let overlay = state.topOverlay {
            switch overlay {
            case .confirm(let confirm): return handleConfirm(&state, confirm, key)
            case .form(let form): return handleForm(&state, form, key)
            case .help(let help): return handleHelp(&state, help, key)
            case .detail(let detail): return handleDetail(&state, detail, key)
            case .audit(let audit): return handleAudit(&state, audit, key)
            case .deadLetters(let letters): return handleDeadLetters(&state, letters, key)
            }
        }
        let contexts = dashboardContexts(state)
        guard let action = Keymap.action(for: key, in: contexts) else { return [] }
        return perform(&state, action)
    }

    static func dashboardContexts(_ state: ConsoleState) -> [KeyContext] {
        switch state.focus {
        case .users: [.users, .list, .global]
        case .orders: [.orders, .list, .global]
        case .payments: [.payments, .list, .global]
        case .events: [.events, .list, .global]
        case .registry: [.list, .global]
        }
    }

    static func quit(_ state: inout ConsoleState) -> [Effect] {
        state.quitting = true
        return [.quit]
    }

    static func refuseReadOnly(_ state: inout ConsoleState, _ action: KeyAction) -> [Effect] {
        toast(&state, "read-only console: \(action.label) is disabled", error: true)
        return []
    }

    /// A dashboard key's action.
    static func perform(_ state: inout ConsoleState, _ action: KeyAction) -> [Effect] {
        if action.mutates && state.readOnly { return refuseReadOnly(&state, action) }
        switch action {
        case .quit: return quit(&state)
        case .help: state.overlays.append(.help(HelpState()))
        case .back:
            if state.events.fullscreen && state.focus == .events { state.events.fullscreen = false; return relayout(&state) }
            return clearFilter(&state)
        case .command: state.input = InputLine(kind: .command)
        case .filter:
            state.input = InputLine(kind: .filter, text: currentFilter(state))
        case .refresh: return refreshAll()
        case .copy: return copySelection(&state)
        case .audit:
            state.overlays.append(.audit(AuditState()))
            return [.loadAudit]
        case .deadLetters:
            state.overlays.append(.deadLetters(DeadLettersState()))
            return [.loadDeadLetters]
        case .focus1: return focus(&state, .users)
        case .focus2: return focus(&state, .orders)
        case .focus3: return focus(&state, .payments)
        case .focus4: return focus(&state, .events)
        case .focus5: return focus(&state, .registry)
        case .nextPane: return focus(&state, PaneID(rawValue: state.focus.rawValue % 5 + 1)!)
        case .previousPane: return focus(&state, PaneID(rawValue: (state.focus.rawValue + 3) % 5 + 1)!)
        case .down, .up, .pageDown, .pageUp, .top, .bottom: return move(&state, action)
        case .open: return openDetail(&state)
        case .sortNext, .sortPrevious, .sortInvert: sort(&state, action)
        case .mark:
            if let payment = state.selectedPayment {
                if state.payments.markedRows.removeValue(forKey: payment.id) == nil { state.payments.markedRows[payment.id] = payment }
                return move(&state, .down)
            }
        case .newOrder:
            state.orderFormAwaits = [.catalog, .customers]
            return [.loadCatalog, .loadPickerUsers]
        case .retry: return startRetry(&state)
        case .cancelOrder:
            guard let order = state.selectedOrder else { return [] }
            // The order service's rule, before a confirm that could only end in a refusal.
            if let refusal = order.status.cancelRefusal {
                toast(&state, "order #\(order.id) is \(order.status.rawValue): \(refusal)\(order.status == .paid ? " (R on the payment)" : "")", error: true)
                return []
            }
            state.overlays.append(.confirm(ConfirmState(question: "Cancel order #\(order.id) (\(order.status.rawValue))?", action: .cancelOrder(order.id))))
        case .completeOrder:
            guard let order = state.selectedOrder else { return [] }
            // Refused here by the order service's own rule, not after a confirm and a failed audit line.
            guard order.status.canMove(to: .completed) else {
                toast(&state, "order #\(order.id) is \(order.status.rawValue): it cannot go from \(order.status.rawValue) to COMPLETED", error: true)
                return []
            }
            state.overlays.append(.confirm(ConfirmState(question: "Complete order #\(order.id)?", action: .completeOrder(order.id))))
        case .refund:
            guard let payment = state.selectedPayment else { return [] }
            guard payment.status.isRefundable else {
                toast(&state, "payment #\(payment.id) is \(payment.status.rawValue): only a SUCCESS payment can be refunded", error: true)
                return []
            }
            state.overlays.append(.form(.refund(payment.id)))
        case .newUser: state.overlays.append(.form(.createUser()))
        case .toggleAdmin:
            guard let user = state.selectedUser else { return [] }
            let action = ConsoleAction.setAdmin(userId: user.id, email: user.email, admin: !user.isAdmin)
            state.overlays.append(.confirm(ConfirmState(question: action.summary.capitalizedFirst + "?", action: action)))
        case .toggleLock:
            guard let user = state.selectedUser else { return [] }
            let action = ConsoleAction.setLocked(userId: user.id, email: user.email, locked: user.status != .locked)
            state.overlays.append(.confirm(ConfirmState(question: action.summary.capitalizedFirst + "?", action: action)))
        case .follow:
            state.events.follow.toggle()
            if state.events.follow { state.events.pausedAt = nil; state.events.cursor = max(state.events.visibleFirst, state.events.visibleEnd - 1) }
        case .pause:
            state.events.pausedAt = state.events.pausedAt == nil ? state.events.visibleEnd : nil
        case .timestamps: state.events.showTimestamps.toggle()
        case .wrap: state.events.wrap.toggle()
        case .fullscreen:
            state.events.fullscreen.toggle()
            return relayout(&state)
        case .topic:
            let topics: [Topic?] = [nil] + Topic.allCases
            let index = topics.firstIndex(of: state.events.topic) ?? 0
            state.events.topic = topics[(index + 1) % topics.count]
        case .replay: break
        }
        return []
    }

    static func focus(_ state: inout ConsoleState, _ pane: PaneID) -> [Effect] {
        state.focus = pane
        if pane != .events, state.events.fullscreen { state.events.fullscreen = false }
        let effects = relayout(&state)
        // In tab mode a pane that was hidden may never have been fetched at its size.
        if effects.isEmpty, [.users, .orders, .payments].contains(pane) {
            let loaded = pane == .users ? state.users.loaded : pane == .orders ? state.orders.loaded : state.payments.loaded
            if !loaded { return [.load(pane)] }
        }
        return effects
    }

    static func currentFilter(_ state: ConsoleState) -> String {
        switch state.focus {
        case .users: state.users.filter.text
        case .orders: state.orders.filter.text
        case .payments: state.payments.filter.text
        default: ""
        }
    }

    static func setFilter(_ state: inout ConsoleState, _ text: String) {
        switch state.focus {
        case .users: state.users.filter.text = text; state.users.cursor = 0
        case .orders: state.orders.filter.text = text; state.orders.cursor = 0
        case .payments: state.payments.filter.text = text; state.payments.cursor = 0
        case .events:
            state.events.topic = Topic.allCases.first { $0.rawValue.hasPrefix(text.lowercased()) && !text.isEmpty }
        case .registry: break
        }
    }

    /// Esc on the dashboard: drop the filter, then the server-side query, of the focused pane.
    static func clearFilter(_ state: inout ConsoleState) -> [Effect] {
        if !currentFilter(state).isEmpty { setFilter(&state, ""); return [] }
        func reset<Row>(_ table: inout TableState<Row>, _ pane: PaneID) -> [Effect] {
            guard table.query.status != nil || table.query.text != nil || !table.marked.isEmpty else { return [] }
            table.query.status = nil; table.query.text = nil; table.page = 0; table.cursor = 0; table.markedRows = [:]
            return [.load(pane)]
        }
        switch state.focus {
        case .users: return reset(&state.users, .users)
        case .orders: return reset(&state.orders, .orders)
        case .payments: return reset(&state.payments, .payments)
        case .events: state.events.topic = nil
        case .registry: break
        }
        return []
    }

    static func copySelection(_ state: inout ConsoleState) -> [Effect] {
        let id: String?
        switch state.focus {
        case .users: id = state.selectedUser.map { "\($0.id)" }
        case .orders: id = state.selectedOrder.map { "\($0.id)" }
        case .payments: id = state.selectedPayment.map { "\($0.id)" }
        case .events: id = state.events.shown.first { $0.index == state.events.cursor }?.event.envelope.eventId
        case .registry: id = state.registry.instances.indices.contains(state.registry.cursor) ? state.registry.instances[state.registry.cursor].instanceId : nil
        }
        guard let id else { return [] }
        toast(&state, "copied \(id)")
        return [.copy(id)]
    }

    static func startRetry(_ state: inout ConsoleState) -> [Effect] {
        switch state.focus {
        case .payments:
            // Every mark counts, on this page or another (as last seen there); the ones that did
            // not fail are named, not dropped silently.
            let table = state.payments
            let marked = table.marked.sorted().compactMap { id in table.rows.first { $0.id == id } ?? table.markedRows[id] }
            let targets = marked.isEmpty ? [state.selectedPayment].compactMap { $0 } : marked
            let failed = targets.filter { $0.status == .failed }
            let leftOut = targets.filter { $0.status != .failed }.map { LeftOutPayment(id: $0.id, status: $0.status) }
            guard !failed.isEmpty else {
                let which = leftOut.map { "#\($0.id) is \($0.status.rawValue)" }.joined(separator: ", ")
                toast(&state, targets.isEmpty ? "no payment selected" : "only FAILED payments can be retried: \(which)", error: true)
                return []
            }
            if !leftOut.isEmpty { toast(&state, leftOut.named, error: true) }
            state.overlays.append(.form(.retry(failed.map(\.id), leftOut: leftOut)))
        case .orders:
            guard let order = state.selectedOrder else { return [] }
            guard order.status == .failed else { toast(&state, "order #\(order.id) is \(order.status.rawValue): only FAILED orders can be retried", error: true); return [] }
            if let payment = state.payments.rows.first(where: { $0.orderId == order.id }), payment.status == .failed {
                state.overlays.append(.form(.retry([payment.id])))
                return []
            }
            // The payment is not on screen: the order's detail view will know it.
            state.overlays.append(.detail(DetailState(content: .loading("order #\(order.id)"), request: .order(order.id))))
            state.retryWhenLoaded = order.id
            return [.loadDetail(.order(order.id))]
        default: break
        }
        return []
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
