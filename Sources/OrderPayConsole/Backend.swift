import Foundation
import OrderPayCore

/// What a pane asks for: one page of rows, optionally filtered on the server.
public struct ListQuery: Sendable, Equatable {
    public var page: Int
    public var size: Int
    /// Orders and payments: a status name; users: a status name (ACTIVE, LOCKED…).
    public var status: String?
    /// Users: a substring of the name or email. Orders: a user's email.
    public var text: String?

    public init(page: Int = 0, size: Int = 20, status: String? = nil, text: String? = nil) {
        self.page = page; self.size = size; self.status = status; self.text = text
    }
}

/// One page of rows and how many rows there are in all.
public struct RowPage<Row: Sendable>: Sendable {
    public var rows: [Row]
    public var page: Int
    public var total: Int
    public init(rows: [Row], page: Int, total: Int) { self.rows = rows; self.page = page; self.total = total }
}

/// An event as the console shows it: its place in the log, the envelope, and its JSON for the detail view.
public struct StreamedEvent: Sendable, Equatable {
    /// The event's log sequence (embedded mode; remote mode: the SSE id when it is one, 0 when the
    /// id is a Kafka cursor, which the remote stream keeps as text to resume from).
    public var cursor: Int64
    public var envelope: EventEnvelope
    public init(cursor: Int64, envelope: EventEnvelope) { self.cursor = cursor; self.envelope = envelope }
}

public struct DeadLetterRow: Sendable, Equatable {
    public var id: Int64
    public var group: String
    public var event: EventEnvelope
    public var error: String
    public var attempts: Int
    public var replayed: Bool
    public init(id: Int64, group: String, event: EventEnvelope, error: String, attempts: Int, replayed: Bool) {
        self.id = id; self.group = group; self.event = event; self.error = error; self.attempts = attempts; self.replayed = replayed
    }
}

public struct OrderDetail: Sendable, Equatable {
    public var order: Order
    public var history: [OrderHistoryEntry]
    public var payment: Payment?
    public var paymentHistory: [PaymentHistoryEntry]
    public var user: User?
    public init(order: Order, history: [OrderHistoryEntry], payment: Payment?, paymentHistory: [PaymentHistoryEntry], user: User?) {
        self.order = order; self.history = history; self.payment = payment; self.paymentHistory = paymentHistory; self.user = user
    }
}

public struct PaymentDetail: Sendable, Equatable {
    public var payment: Payment
    public var history: [PaymentHistoryEntry]
    public init(payment: Payment, history: [PaymentHistoryEntry]) { self.payment = payment; self.history = history }
}

public struct UserDetail: Sendable, Equatable {
    public var user: User
    public var recentOrders: [Order]
    public init(user: User, recentOrders: [Order]) { self.user = user; self.recentOrders = recentOrders }
}

public struct NewOrder: Sendable, Hashable {
    public var userId: Int64
    public var items: [PlaceOrderRequest.Item]
    public var shippingAddress: String
    public var paymentMethod: PaymentMethod
    public var paymentToken: String
    public init(userId: Int64, items: [PlaceOrderRequest.Item], shippingAddress: String, paymentMethod: PaymentMethod, paymentToken: String) {
        self.userId = userId; self.items = items; self.shippingAddress = shippingAddress
        self.paymentMethod = paymentMethod; self.paymentToken = paymentToken
    }
}

public struct NewUser: Sendable, Hashable {
    public var email: String
    public var name: String
    public var password: String
    public var admin: Bool
    public init(email: String, name: String, password: String, admin: Bool) {
        self.email = email; self.name = name; self.password = password; self.admin = admin
    }
}

/// Where the console's data comes from and its actions go: the services in this process
/// (`EmbeddedBackend`) or the gateway over HTTP (`RemoteBackend`). Every call may be slow (disk,
/// network), so the console only ever calls it off its UI thread. Errors are `AppError`s.
public protocol Backend: AnyObject, Sendable {
    /// "embedded" or "remote".
    var modeName: String { get }
    /// The data dir or the gateway URL.
    var endpoint: String { get }
    /// Who the console acts as.
    var operatorName: String { get }

    func users(_ query: ListQuery) async throws -> RowPage<User>
    func orders(_ query: ListQuery) async throws -> RowPage<Order>
    func payments(_ query: ListQuery) async throws -> RowPage<Payment>
    func registry() async throws -> [ServiceInstance]
    func orderCounts() async throws -> [OrderStatus: Int]
    func products() async throws -> [Product]
    /// The accounts the operator may place orders for, for the new-order form's picker.
    func orderCustomers() async throws -> [User]
    func deadLetters() async throws -> [DeadLetterRow]

    func orderDetail(id: Int64) async throws -> OrderDetail
    func paymentDetail(id: Int64) async throws -> PaymentDetail
    func userDetail(id: Int64) async throws -> UserDetail

    func placeOrder(_ order: NewOrder) async throws -> Order
    func retryPayment(id: Int64, token: String?) async throws -> Payment
    func cancelOrder(id: Int64) async throws -> Order
    func completeOrder(id: Int64) async throws -> Order
    /// Initiates and processes a refund (the console's operator is an admin).
    func refundPayment(id: Int64, reason: String) async throws -> Payment
    func replayDeadLetter(id: Int64) async throws
    func createUser(_ user: NewUser) async throws -> User
    func setRoles(userId: Int64, roles: [OrderPayCore.Role]) async throws -> User
    func setLocked(userId: Int64, locked: Bool) async throws -> User

    /// The topic's last `count` events, oldest first (a filtered events pane's history).
    func recentEvents(topic: Topic, count: Int) async throws -> [StreamedEvent]

    /// The live log: the last `backlog` events, then every new one as it is appended, until the
    /// task is cancelled. Reconnects by itself (remote), reporting trouble through `onStatus`
    /// (nil when healthy again).
    func streamEvents(backlog: Int, onStatus: @escaping @Sendable (StreamStatus?) -> Void) -> AsyncStream<[StreamedEvent]>
}

extension Backend {
    /// The most accounts the new-order form offers.
    public static var customerPickerLimit: Int { 200 }

    /// Every active account (up to `customerPickerLimit`): an operator with every right, as the
    /// embedded console's is.
    public func orderCustomers() async throws -> [User] {
        try await users(ListQuery(page: 0, size: Self.customerPickerLimit, status: UserStatus.active.rawValue)).rows
    }
}

/// Trouble with the live event stream, as the banner says it. A refusal is kept apart from an
/// outage: the stream has stopped for good and will not reconnect, so the events pane says why
/// it stays empty instead of promising events that will never come.
public struct StreamStatus: Sendable, Equatable, ExpressibleByStringInterpolation {
    public var text: String
    /// Set when the server refused the stream for good (403: the operator is not an admin).
    public var refusal: AppError.Kind?

    public init(_ text: String, refusal: AppError.Kind? = nil) { self.text = text; self.refusal = refusal }
    public init(stringLiteral text: String) { self.init(text) }
}
