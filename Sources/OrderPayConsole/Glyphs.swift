import OrderPayCore

/// Status words with a glyph in front, so status never depends on colour; ASCII stand-ins for
/// terminals without UTF-8.
public struct Glyphs: Sendable {
    public let ascii: Bool
    public init(ascii: Bool) { self.ascii = ascii }

    public var frame: (h: String, v: String, tl: String, tr: String, bl: String, br: String) {
        ascii ? ("-", "|", "+", "+", "+", "+") : ("─", "│", "┌", "┐", "└", "┘")
    }
    public var ellipsis: String { ascii ? "~" : "…" }
    public var separator: String { ascii ? ">" : "▸" }
    public var markGlyph: String { ascii ? "*" : "●" }

    func mark(_ role: CellRole) -> String {
        switch role {
        case .ok: ascii ? "+" : "✓"
        case .fail: ascii ? "x" : "✗"
        case .pending: ascii ? "~" : "◷"
        case .warn: ascii ? "!" : "▲"
        default: ascii ? "-" : "·"
        }
    }

    public func status(_ s: OrderStatus) -> String { "\(mark(Glyphs.role(for: s))) \(s.rawValue)" }
    public func status(_ s: PaymentStatus) -> String { "\(mark(Glyphs.role(for: s))) \(s.rawValue)" }
    public func status(_ s: UserStatus) -> String { "\(mark(Glyphs.role(for: s))) \(s.rawValue)" }
    public func status(_ s: InstanceStatus) -> String { "\(mark(Glyphs.role(for: s))) \(s.rawValue)" }

    public static func role(for s: OrderStatus) -> CellRole {
        switch s {
        case .paid, .completed: .ok
        case .created, .pending: .pending
        case .failed: .fail
        case .cancelled: .muted
        }
    }

    public static func role(for s: PaymentStatus) -> CellRole {
        switch s {
        case .success: .ok
        case .pending, .processing, .refundPending: .pending
        case .failed: .fail
        case .cancelled, .refunded: .muted
        }
    }

    public static func role(for s: UserStatus) -> CellRole {
        switch s {
        case .active: .ok
        case .pendingVerification: .pending
        case .locked: .warn
        case .inactive, .deleted: .muted
        }
    }

    public static func role(for s: InstanceStatus) -> CellRole {
        switch s {
        case .up: .ok
        case .starting: .pending
        case .outOfService, .unknown: .warn
        case .down: .fail
        }
    }

    public static func role(for topic: Topic) -> CellRole {
        switch topic {
        case .orderCreated: .eventOrder
        case .paymentProcessed: .eventPayment
        case .orderStatusUpdated: .eventStatus
        }
    }
}
