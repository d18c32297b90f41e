import Foundation
import OrderPayCore

/// One column of a table pane: how to print a row's value, how to style it, how wide it wants to be.
public struct Column<Row>: Sendable {
    public let title: String
    /// Columns wanted; the last column takes what is left.
    public let width: Int
    public let alignRight: Bool
    public let value: @Sendable (Row, Glyphs) -> String
    public let role: @Sendable (Row) -> CellRole
    /// How `<` `>` order rows by this column when its text does not: a date printed as `11-26 11:44`
    /// sorts by the date (the text drops the year). Nil: by the text, numerically when it is a number.
    public let ascending: (@Sendable (Row, Row) -> Bool)?

    init(_ title: String, _ width: Int, right: Bool = false, role: @escaping @Sendable (Row) -> CellRole = { _ in .body },
         sortedBy ascending: (@Sendable (Row, Row) -> Bool)? = nil, _ value: @escaping @Sendable (Row, Glyphs) -> String) {
        self.title = title; self.width = width; alignRight = right; self.value = value; self.role = role; self.ascending = ascending
    }
}

public enum Columns {
    static let time: DateFormatter = {
        let f = DateFormatter(); f.locale = Locale(identifier: "en_US_POSIX"); f.timeZone = TimeZone(identifier: "UTC"); f.dateFormat = "MM-dd HH:mm"; return f
    }()

    public static let orders: [Column<Order>] = [
        Column("ID", 6, right: true) { o, _ in "\(o.id)" },
        Column("STATUS", 12, role: { Glyphs.role(for: $0.status) }) { o, g in g.status(o.status) },
        Column("TOTAL", 11, right: true) { o, _ in "\(o.totalAmount)" },
        Column("USER", 5, right: true) { o, _ in "\(o.userId)" },
        Column("ITEMS", 5, right: true) { o, _ in "\(o.orderItems.reduce(0) { $0 + $1.quantity })" },
        Column("UPDATED", 11, sortedBy: { $0.updatedAt < $1.updatedAt }) { o, _ in time.string(from: o.updatedAt) },
        Column("REASON", 20, role: { _ in .muted }) { o, _ in o.failureReason ?? "" },
    ]

    public static let payments: [Column<Payment>] = [
        Column("ID", 6, right: true) { p, _ in "\(p.id)" },
        Column("ORDER", 6, right: true) { p, _ in "\(p.orderId)" },
        // 16: "◷ REFUND_PENDING", the longest status with its glyph, whole.
        Column("STATUS", 16, role: { Glyphs.role(for: $0.status) }) { p, g in g.status(p.status) },
        Column("AMOUNT", 11, right: true) { p, _ in "\(p.amount)" },
        Column("TRY", 3, right: true) { p, _ in "\(p.attempts)" },
        Column("REASON", 18, role: { _ in .muted }) { p, _ in p.failureReason ?? p.refundReason ?? "" },
    ]

    public static let users: [Column<User>] = [
        Column("ID", 4, right: true) { u, _ in "\(u.id)" },
        Column("NAME", 12) { u, _ in u.name },
        Column("STATUS", 9, role: { Glyphs.role(for: $0.status) }) { u, g in g.status(u.status) },
        Column("ROLE", 5) { u, _ in u.isAdmin ? "admin" : "user" },
        Column("EMAIL", 10, role: { _ in .muted }) { u, _ in u.email },
    ]

    /// The rows a table shows: its page, filtered (`/`) and sorted (`<` `>` `I`) on the client.
    public static func visible<Row>(_ table: TableState<Row>, _ columns: [Column<Row>], _ glyphs: Glyphs) -> [Row] {
        var rows = table.rows
        if !table.filter.isEmpty {
            rows = rows.filter { row in table.filter.matches(columns.map { $0.value(row, glyphs) }.joined(separator: " ")) }
        }
        if let sort = table.sortColumn, columns.indices.contains(sort) {
            let column = columns[sort]
            let ascending = column.ascending ?? { a, b in
                let x = column.value(a, glyphs), y = column.value(b, glyphs)
                if let dx = number(x), let dy = number(y) { return dx < dy }
                return x < y
            }
            rows.sort { a, b in table.sortDescending ? ascending(b, a) : ascending(a, b) }
        }
        return rows
    }

    /// The value of a text that is wholly a number (`42`, `-179.80`); `Decimal(string:)` alone
    /// would also read `11` out of `11-26 11:44`.
    static func number(_ text: String) -> Decimal? {
        guard text.range(of: #"^-?[0-9]+(\.[0-9]+)?$"#, options: .regularExpression) != nil else { return nil }
        return Decimal(string: text)
    }
}

extension ConsoleState {
    public var glyphs: Glyphs { Glyphs(ascii: asciiOnly) }
    public var visibleUsers: [User] { Columns.visible(users, Columns.users, glyphs) }
    public var visibleOrders: [Order] { Columns.visible(orders, Columns.orders, glyphs) }
    public var visiblePayments: [Payment] { Columns.visible(payments, Columns.payments, glyphs) }

    public var selectedUser: User? { visibleUsers.indices.contains(users.cursor) ? visibleUsers[users.cursor] : nil }
    public var selectedOrder: Order? { visibleOrders.indices.contains(orders.cursor) ? visibleOrders[orders.cursor] : nil }
    public var selectedPayment: Payment? { visiblePayments.indices.contains(payments.cursor) ? visiblePayments[payments.cursor] : nil }
}
