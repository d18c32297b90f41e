import Foundation
import OrderPayCore

/// An operator's action on the backend. Each is confirmed first, audited, and answered with a toast.
public enum ConsoleAction: Sendable, Hashable {
    case placeOrder(NewOrder, summary: String)
    /// `leftOut`: marked payments not retried (not FAILED), named in the confirm and the outcome.
    case retryPayments([Int64], token: String?, leftOut: [LeftOutPayment] = [])
    case cancelOrder(Int64)
    case completeOrder(Int64)
    case refundPayment(Int64, reason: String)
    case replayDeadLetter(Int64)
    case createUser(NewUser)
    case setAdmin(userId: Int64, email: String, admin: Bool)
    case setLocked(userId: Int64, email: String, locked: Bool)

    /// One line for the confirm dialog and the audit log.
    public var summary: String {
        switch self {
        case .placeOrder(_, let summary): "place order: \(summary)"
        case .retryPayments(let ids, let token, let leftOut):
            "retry payment\(ids.count == 1 ? "" : "s") \(ids.map { "#\($0)" }.joined(separator: ", "))" + (token.map { " with \($0)" } ?? "")
                + (leftOut.isEmpty ? "" : " (\(leftOut.named))")
        case .cancelOrder(let id): "cancel order #\(id)"
        case .completeOrder(let id): "complete order #\(id)"
        case .refundPayment(let id, let reason): "refund payment #\(id) (\(reason))"
        case .replayDeadLetter(let id): "replay dead letter #\(id)"
        case .createUser(let user): "create user \(user.email)\(user.admin ? " (admin)" : "")"
        case .setAdmin(_, let email, let admin): admin ? "grant admin to \(email)" : "revoke admin from \(email)"
        case .setLocked(_, let email, let locked): locked ? "lock \(email)" : "unlock \(email)"
        }
    }
}

/// A payment marked for a bulk retry that is not retried because it is not FAILED.
public struct LeftOutPayment: Sendable, Hashable {
    public var id: Int64
    public var status: PaymentStatus
    public init(id: Int64, status: PaymentStatus) { self.id = id; self.status = status }
}

extension [LeftOutPayment] {
    /// "#198 left out: REFUNDED, #197 left out: SUCCESS"
    public var named: String { map { "#\($0.id) left out: \($0.status.rawValue)" }.joined(separator: ", ") }
}

/// What `update` asks the runtime to do: the only way the pure core touches the world.
public enum Effect: Sendable, Hashable {
    case load(PaneID)
    case loadCounts
    case loadDetail(DetailRequest)
    case loadCatalog
    case loadPickerUsers
    case loadDeadLetters
    case loadAudit
    /// The filtered topic's latest events, for the events pane.
    case loadTopicHistory(Topic)
    case perform(ConsoleAction)
    /// Put text on the clipboard of the operator's terminal (OSC 52: works over SSH).
    case copy(String)
    case setTheme(String)
    case quit
}

public enum DetailRequest: Sendable, Hashable {
    case order(Int64), payment(Int64), user(Int64)

    /// As the operator names it: "order #42".
    public var label: String {
        switch self {
        case .order(let id): "order #\(id)"
        case .payment(let id): "payment #\(id)"
        case .user(let id): "user #\(id)"
        }
    }
}

/// Everything that can happen to the console: keys, time, and answers from the backend.
public enum Message: Sendable {
    case key(Key)
    case resize(width: Int, height: Int)
    case tick(Date)
    /// `query`: the request the page answers (the runtime always says; nil: the one on screen).
    case usersLoaded(Result<RowPage<User>, AppError>, query: ListQuery? = nil)
    /// `eventsSeen`: the events ring's end index when the page was asked for; events from there
    /// on may be newer than the page and are replayed onto it.
    case ordersLoaded(Result<RowPage<Order>, AppError>, eventsSeen: Int, query: ListQuery? = nil)
    case paymentsLoaded(Result<RowPage<Payment>, AppError>, eventsSeen: Int, query: ListQuery? = nil)
    case registryLoaded(Result<[ServiceInstance], AppError>, at: Date)
    case countsLoaded(Result<[OrderStatus: Int], AppError>)
    case events([StreamedEvent])
    case topicHistoryLoaded(Topic, Result<[StreamedEvent], AppError>)
    case streamStatus(StreamStatus?)
    /// `request`: what was asked for (the runtime always says; a success names its record anyway).
    case detailLoaded(Result<DetailContent, AppError>, for: DetailRequest? = nil)
    case catalogLoaded(Result<[Product], AppError>)
    case pickerUsersLoaded(Result<[User], AppError>)
    case deadLettersLoaded(Result<[DeadLetterRow], AppError>)
    case auditLoaded([AuditEntry])
    case actionFinished(ConsoleAction, Result<String, AppError>)
    case themeChanged(String, error: String?)
    case notice(String?)
}
