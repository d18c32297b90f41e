import Foundation
import OrderPayCore

public enum PaneID: Int, CaseIterable, Sendable {
    case users = 1, orders, payments, events, registry

    public var title: String {
        switch self {
        case .users: "Users"
        case .orders: "Orders"
        case .payments: "Payments"
        case .events: "Events"
        case .registry: "Registry"
        }
    }
}

/// Rows the console lists and marks by id.
public protocol ListRow: Sendable { var rowId: Int64 { get } }
extension User: ListRow { public var rowId: Int64 { id } }
extension Order: ListRow { public var rowId: Int64 { id } }
extension Payment: ListRow { public var rowId: Int64 { id } }

/// A pane's client-side filter (`/`): a substring, `!` in front inverts it.
public struct RowFilter: Equatable, Sendable {
    public var text = ""
    public var inverted: Bool { text.hasPrefix("!") }
    public var needle: String { (inverted ? String(text.dropFirst()) : text).lowercased() }
    public var isEmpty: Bool { needle.isEmpty }

    public func matches(_ haystack: String) -> Bool {
        guard !isEmpty else { return true }
        return haystack.lowercased().contains(needle) != inverted
    }
}

/// One paged table: only the page on screen is held, so a million rows cost what twenty do.
public struct TableState<Row: ListRow>: Sendable {
    public var rows: [Row] = []
    public var total = 0
    /// The page asked for; `rowsPage` is the one `rows` came from (they differ while a fetch for
    /// another page is on its way).
    public var page = 0
    public var rowsPage: Int?
    public var pageSize = 10
    /// Index into the visible (filtered, sorted) rows.
    public var cursor = 0
    public var query = ListQuery()
    public var filter = RowFilter()
    public var sortColumn: Int?
    public var sortDescending = false
    /// Marked rows (Space) as last seen, kept when their page is not on screen, so a bulk action
    /// includes every mark the title counts, not only those on the current page.
    public var markedRows: [Int64: Row] = [:]
    public var marked: Set<Int64> { Set(markedRows.keys) }
    public var loaded = false
    public var error: String?
    /// While `error` is set: when the page is fetched again by itself.
    public var reload = ReloadBackoff()

    public init() {}

    /// What the pane asks the backend for: its query at its page and page size.
    public var request: ListQuery {
        var request = query
        request.page = page; request.size = pageSize
        return request
    }
}

public struct RegistryState: Sendable {
    public var instances: [ServiceInstance] = []
    public var loadedAt: Date?
    public var cursor = 0
    public var error: String?
    /// While `error` is set: when the registry is fetched again (as the other panes do: backoff,
    /// Retry-After honoured, a refusal not retried), instead of every 2 s.
    public var reload = ReloadBackoff()
}

/// A text the operator is typing on the bottom line: a `:` command or a `/` filter.
public struct InputLine: Equatable, Sendable {
    public enum Kind: Sendable { case command, filter }
    public var kind: Kind
    public var text = ""
}

public struct Toast: Equatable, Sendable {
    public var text: String
    public var isError: Bool
    public var expires: Date
}

public enum DetailContent: Sendable, Equatable {
    case loading(String)
    case failed(String)
    case order(OrderDetail)
    case payment(PaymentDetail)
    case user(UserDetail)
    case event(StreamedEvent)
}

public struct DetailState: Sendable, Equatable {
    public var content: DetailContent
    public var scroll = 0
    /// The order, payment or user this overlay was opened for (nil: an event, shown as it is).
    /// Only an answer for it is shown: a late one for a detail opened before would otherwise
    /// fill this one, and `r` here would retry that other order's payment.
    public var request: DetailRequest?
}

public struct ConfirmState: Sendable, Equatable {
    public var question: String
    public var action: ConsoleAction
}

/// The help overlay: longer than a small terminal, so it scrolls.
public struct HelpState: Sendable, Equatable {
    /// The first line shown.
    public var scroll = 0
    public init() {}
}

public struct AuditState: Sendable, Equatable {
    public var entries: [AuditEntry] = []
    public var scroll = 0
}

public struct DeadLettersState: Sendable, Equatable {
    public var letters: [DeadLetterRow] = []
    public var cursor = 0
    public var loaded = false
}

/// What the new-order form is built from, fetched when `n` is pressed.
public enum OrderFormInput: Sendable, Hashable { case catalog, customers }

/// What covers the dashboard, innermost last. Esc pops one.
public enum Overlay: Sendable, Equatable {
    case help(HelpState)
    case detail(DetailState)
    case form(FormState)
    case confirm(ConfirmState)
    case audit(AuditState)
    case deadLetters(DeadLettersState)
}

/// Everything the console shows. A value: `update` returns a new one, `view` draws it.
public struct ConsoleState: Sendable {
    public var width = 80
    public var height = 24
    public var now = Date(timeIntervalSince1970: 0)
    public var modeName = "embedded"
    public var endpoint = ""
    public var operatorName = ""
    public var readOnly = false
    public var asciiOnly = false
    public var themeName = "default"

    public var focus: PaneID = .orders
    public var users = TableState<User>()
    public var orders = TableState<Order>()
    public var payments = TableState<Payment>()
    public var events: EventsState
    public var registry = RegistryState()
    /// Orders by status as last fetched; nil until a fetch has worked (the header then shows
    /// "–", never a made-up 0). A failed refresh keeps the last counts and retries with backoff.
    public var orderCounts: [OrderStatus: Int]?
    public var countsReload = ReloadBackoff()
    public var catalog: [Product] = []
    /// Users offered by the new-order form's picker.
    public var pickerUsers: [User] = []

    public var overlays: [Overlay] = []
    public var input: InputLine?
    public var toasts: [Toast] = []
    /// A line under the header while something is wrong with the connection.
    public var banner: String?
    public var notice: String?
    /// `n` was pressed: what the new-order form still waits for; it opens once both have
    /// arrived, or says why it cannot (a fetch failed, nothing to offer). Empty: not waiting.
    public var orderFormAwaits: Set<OrderFormInput> = []
    public var awaitingOrderForm: Bool { !orderFormAwaits.isEmpty }
    /// `r` on a FAILED order whose payment is not on screen: the retry form opens once the
    /// detail of this order (and so its payment) has loaded.
    public var retryWhenLoaded: Int64?
    public var quitting = false

    public init(eventCapacity: Int = 10_000) { events = EventsState(capacity: eventCapacity) }

    public var topOverlay: Overlay? { overlays.last }
}
