import Foundation
import OrderPayCore

/// The console's update function: (state, message) → new state and the effects to run. Pure: no
/// I/O, no clock reads (time arrives as `.tick`), so every behaviour is testable as data.
public enum ConsoleUpdate {
    public static let toastSeconds: TimeInterval = 4
    public static let registryRefreshSeconds: TimeInterval = 2

    /// The first effects of a console: what the dashboard needs on screen.
    public static func start(_ state: inout ConsoleState) -> [Effect] {
        relayout(&state)
        return [.load(.users), .load(.orders), .load(.payments), .load(.registry), .loadCounts]
    }

    public static func update(_ state: inout ConsoleState, _ message: Message) -> [Effect] {
        // However the events pane's topic filter changed (key, `/`, `:events`, Esc), the
        // topic's history is asked for.
        let topic = state.events.topic
        let effects = handle(&state, message)
        guard let filtered = state.events.topic, filtered != topic else { return effects }
        return effects + [.loadTopicHistory(filtered)]
    }

    private static func handle(_ state: inout ConsoleState, _ message: Message) -> [Effect] {
        switch message {
        case .key(let key):
            return handleKey(&state, key)
        case .resize(let width, let height):
            state.width = width; state.height = height
            return relayout(&state)
        case .tick(let now):
            state.now = now
            state.toasts.removeAll { $0.expires <= now }
            var effects = dueReloads(&state)
            if state.registry.error == nil, state.registry.loadedAt.map({ now.timeIntervalSince($0) >= registryRefreshSeconds }) ?? true {
                effects.append(.load(.registry))
            }
            return effects
        case .usersLoaded(let result, let query):
            apply(result, for: query, to: &state.users, now: state.now) { [glyphs = state.glyphs] in Columns.visible($0, Columns.users, glyphs) }
        case .ordersLoaded(let result, let eventsSeen, let query):
            guard apply(result, for: query, to: &state.orders, now: state.now, visible: { [glyphs = state.glyphs] in Columns.visible($0, Columns.orders, glyphs) })
            else { return [] }
            if case .success = result, !replay(state.events, since: eventsSeen, onto: &state.orders.rows, patch: patch) { return [.load(.orders)] }
        case .paymentsLoaded(let result, let eventsSeen, let query):
            guard apply(result, for: query, to: &state.payments, now: state.now, visible: { [glyphs = state.glyphs] in Columns.visible($0, Columns.payments, glyphs) })
            else { return [] }
            if case .success = result, !replay(state.events, since: eventsSeen, onto: &state.payments.rows, patch: patch) { return [.load(.payments)] }
        case .registryLoaded(let result, let at):
            state.registry.loadedAt = at
            switch result {
            case .success(let instances):
                state.registry.instances = instances.sorted { ($0.app, $0.instanceId) < ($1.app, $1.instanceId) }
                state.registry.error = nil
                state.registry.reload.succeeded()
                state.registry.cursor = min(state.registry.cursor, max(0, instances.count - 1))
            case .failure(let error):
                state.registry.error = error.message
                state.registry.reload.failed(error, at: state.now)
            }
        case .countsLoaded(.success(let counts)):
            state.orderCounts = counts
            state.countsReload.succeeded()
        case .countsLoaded(.failure(let error)):
            state.countsReload.failed(error, at: state.now)
        case .events(let batch):
            return absorb(batch, into: &state)
        case .topicHistoryLoaded(let topic, let result):
            switch result {
            case .success(let history): state.events.mergeHistory(history, of: topic)
            case .failure(let error): toast(&state, "\(topic.rawValue) history: \(error.message)", error: true)
            }
        case .streamStatus(let status):
            state.events.connection = status
            let hadBanner = state.banner != nil
            state.banner = status?.text
            if hadBanner != (status != nil) { return relayout(&state) + (status == nil ? refreshAll() : []) }
        case .detailLoaded(let result, let request):
            guard case .detail(var detail)? = state.topOverlay, detail.answers(result, request) else { return [] }
            switch result {
            case .success(let content):
                detail.content = content
                if case .order(let order) = content, state.retryWhenLoaded == order.order.id {
                    state.retryWhenLoaded = nil
                    state.overlays[state.overlays.count - 1] = .detail(detail)
                    if let payment = order.payment, payment.status == .failed {
                        state.overlays.append(.form(.retry([payment.id])))
                    } else {
                        toast(&state, "order #\(order.order.id) has no FAILED payment to retry", error: true)
                    }
                    return []
                }
            case .failure(let error): detail.content = .failed(error.message); state.retryWhenLoaded = nil
            }
            state.overlays[state.overlays.count - 1] = .detail(detail)
        case .catalogLoaded(.success(let products)):
            state.catalog = products.filter(\.active)
            openOrderForm(&state, arrived: .catalog)
        case .pickerUsersLoaded(.success(let users)):
            state.pickerUsers = users.filter { $0.status == .active }
            openOrderForm(&state, arrived: .customers)
        case .catalogLoaded(.failure(let error)):
            orderFormFetchFailed(&state, "products: \(error.message)")
        case .pickerUsersLoaded(.failure(let error)):
            orderFormFetchFailed(&state, "customers: \(error.message)")
        case .deadLettersLoaded(let result):
            guard case .deadLetters(var letters)? = state.topOverlay else { return [] }
            switch result {
            case .success(let rows):
                letters.letters = rows; letters.loaded = true
                letters.cursor = min(letters.cursor, max(0, rows.count - 1))
            case .failure(let error): toast(&state, error.message, error: true)
            }
            state.overlays[state.overlays.count - 1] = .deadLetters(letters)
        case .auditLoaded(let entries):
            if case .audit(var audit)? = state.topOverlay {
                audit.entries = entries
                audit.scroll = max(0, entries.count - 1)
                state.overlays[state.overlays.count - 1] = .audit(audit)
            }
        case .actionFinished(let action, let result):
            return finished(&state, action, result)
        case .themeChanged(let name, let error):
            if let error { toast(&state, error, error: true) } else { state.themeName = name; toast(&state, "theme \(name)") }
        case .notice(let text):
            state.notice = text
        }
        return []
    }

    /// Puts a fetched page in its pane, unless the pane has since asked for another (paged on,
    /// or changed its query, while it was in flight): that answer is dropped, since the fetch for
    /// the page wanted is queued behind it (the runtime runs a load asked for meanwhile once
    /// more). Shown, a late answer pulled the pane back: PgDn three times on a slow link ended
    /// one page down, under a title naming the page asked for. Returns whether it was applied.
    ///
    /// The same page fetched again keeps the selection on its row (found by id among the rows
    /// `visible` shows), not at its index: a new order on top of the first page moved the cursor
    /// to the next older order under the operator's hands, and `x`, `C`, `r` then acted on that.
    /// The first row of the first page is the exception: it follows the newest row, as the
    /// events pane follows at its end (`g` there means "the newest", and the demos rely on it).
    @discardableResult
    static func apply<Row>(_ result: Result<RowPage<Row>, AppError>, for query: ListQuery?, to table: inout TableState<Row>, now: Date,
                           visible: (TableState<Row>) -> [Row]) -> Bool {
        if let query, query != table.request { return false }
        switch result {
        case .success(let page):
            guard page.page == table.page else { return false }
            let before = visible(table)
            let atTop = page.page == 0 && table.cursor == 0
            let selected = table.rowsPage == page.page && !atTop && before.indices.contains(table.cursor) ? before[table.cursor].rowId : nil
            table.rows = page.rows; table.total = page.total; table.page = page.page; table.rowsPage = page.page
            table.loaded = true; table.error = nil
            table.reload.succeeded()
            if let selected, let index = visible(table).firstIndex(where: { $0.rowId == selected }) { table.cursor = index }
            table.cursor = min(table.cursor, max(0, page.rows.count - 1))
            for row in page.rows where table.markedRows[row.rowId] != nil { table.markedRows[row.rowId] = row }
        case .failure(let error):
            table.error = error.message
            table.reload.failed(error, at: now)
        }
        return true
    }

    /// Panes left showing an error (and header counts that failed to refresh) fetch again once
    /// their backoff has passed, so a service that comes back (or a rate limit that lifts) heals
    /// the screen without Ctrl-R.
    static func dueReloads(_ state: inout ConsoleState) -> [Effect] {
        var effects: [Effect] = []
        if state.users.error != nil, state.users.reload.takeIfDue(state.now) { effects.append(.load(.users)) }
        if state.orders.error != nil, state.orders.reload.takeIfDue(state.now) { effects.append(.load(.orders)) }
        if state.payments.error != nil, state.payments.reload.takeIfDue(state.now) { effects.append(.load(.payments)) }
        if state.registry.error != nil, state.registry.reload.takeIfDue(state.now) { effects.append(.load(.registry)) }
        if state.countsReload.takeIfDue(state.now) { effects.append(.loadCounts) }
        return effects
    }

    /// Recomputes page sizes from the layout; panes whose page size changed fetch again.
    @discardableResult
    static func relayout(_ state: inout ConsoleState) -> [Effect] {
        let layout = Layout(state)
        var effects: [Effect] = []
        func resize<Row>(_ table: inout TableState<Row>, _ pane: PaneID) {
            guard let rows = layout.tableRows(pane), rows != table.pageSize else { return }
            let first = table.page * table.pageSize + table.cursor
            table.pageSize = rows
            table.page = first / rows
            table.cursor = first % rows
            effects.append(.load(pane))
        }
        resize(&state.users, .users)
        resize(&state.orders, .orders)
        resize(&state.payments, .payments)
        return effects
    }

    static func refreshAll() -> [Effect] { [.load(.users), .load(.orders), .load(.payments), .load(.registry), .loadCounts] }

    static func toast(_ state: inout ConsoleState, _ text: String, error: Bool = false) {
        state.toasts.append(Toast(text: text, isError: error, expires: state.now.addingTimeInterval(toastSeconds)))
        if state.toasts.count > 3 { state.toasts.removeFirst(state.toasts.count - 3) }
    }

    static func finished(_ state: inout ConsoleState, _ action: ConsoleAction, _ result: Result<String, AppError>) -> [Effect] {
        // A form waiting on this action closes on success and shows the errors inline on failure.
        if let index = state.overlays.lastIndex(where: { if case .form(let f) = $0, f.submitting { true } else { false } }),
           case .form(var form) = state.overlays[index] {
            switch result {
            case .success: state.overlays.remove(at: index)
            case .failure(let error): form.apply(error); state.overlays[index] = .form(form)
            }
        }
        switch result {
        case .success(let outcome): toast(&state, outcome)
        // The outcome is what the toast is for: a long summary (a typed address) is shortened so
        // the screen's width cuts neither the refusal nor its reason.
        case .failure(let error):
            let summary = TextWidth.truncate(action.summary, to: max(24, state.width / 3), ellipsis: state.glyphs.ellipsis)
            toast(&state, "\(summary) failed: \(error.message)", error: true)
        }
        var effects: [Effect] = [.load(.orders), .load(.payments), .loadCounts]
        switch action {
        case .createUser, .setAdmin, .setLocked: effects.append(.load(.users))
        case .replayDeadLetter: effects.append(.loadDeadLetters)
        default: break
        }
        if case .detail(let detail)? = state.topOverlay, let request = detail.content.request { effects.append(.loadDetail(request)) }
        return effects
    }

    /// Opens the new-order form once the catalog and the customers have both arrived, or says
    /// why it cannot: `n` must never do nothing and show nothing.
    static func openOrderForm(_ state: inout ConsoleState, arrived part: OrderFormInput) {
        guard state.orderFormAwaits.remove(part) != nil, state.orderFormAwaits.isEmpty else { return }
        if state.catalog.isEmpty { return orderFormUnavailable(&state, "no active products") }
        if state.pickerUsers.isEmpty { return orderFormUnavailable(&state, "no active customers") }
        state.overlays.append(.form(.placeOrder(users: state.pickerUsers, catalog: state.catalog)))
    }

    /// A fetch for the form failed: it gives up, said once however many of its fetches fail
    /// (the later ones find nothing waiting); `n` again fetches afresh.
    static func orderFormFetchFailed(_ state: inout ConsoleState, _ reason: String) {
        guard state.awaitingOrderForm else { return }
        orderFormUnavailable(&state, reason)
    }

    static func orderFormUnavailable(_ state: inout ConsoleState, _ reason: String) {
        state.orderFormAwaits = []
        toast(&state, "can't open the order form: \(reason)", error: true)
    }
}

extension DetailState {
    /// Whether an answer is for this overlay, not for one opened (and closed) before it.
    func answers(_ result: Result<DetailContent, AppError>, _ asked: DetailRequest?) -> Bool {
        guard let request else { return true }
        if let asked, asked != request { return false }
        if case .success(let content) = result, let got = content.request, got != request { return false }
        return true
    }
}

extension DetailContent {
    var orderId: Int64? {
        switch self {
        case .order(let d): d.order.id
        case .payment(let d): d.payment.orderId
        default: nil
        }
    }

    var request: DetailRequest? {
        switch self {
        case .order(let d): .order(d.order.id)
        case .payment(let d): .payment(d.payment.id)
        case .user(let d): .user(d.user.id)
        default: nil
        }
    }
}
