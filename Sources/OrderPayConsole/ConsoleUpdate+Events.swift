import Foundation
import OrderPayCore

extension ConsoleUpdate {
    /// New events: into the ring, and into the rows on screen in place; a new order or payment
    /// the page does not hold refetches that one page (the runtime coalesces repeated loads).
    static func absorb(_ batch: [StreamedEvent], into state: inout ConsoleState) -> [Effect] {
        state.events.append(batch)
        if state.events.follow { state.events.cursor = max(state.events.firstIndex, state.events.endIndex - 1) }
        var effects: Set<EffectKey> = []
        for event in batch {
            patch(&state.orders.rows, with: event)
            let paymentShown = patch(&state.payments.rows, with: event)
            switch event.envelope.payload {
            case .orderCreated:
                effects.insert(.counts)
                if state.orders.page == 0 { effects.insert(.orders) }
            case .orderStatusUpdated:
                effects.insert(.counts)
            case .paymentProcessed:
                if !paymentShown, state.payments.page == 0 { effects.insert(.payments) }
            }
            if case .detail(let detail)? = state.topOverlay, detail.content.orderId == event.envelope.payload.orderId {
                effects.insert(.detail(detail.content.request!))
            }
        }
        return effects.map(\.effect).sorted { "\($0)" < "\($1)" }
    }

    /// A page fetched while events kept arriving can be older than some of them: the events
    /// absorbed since the page was asked for are applied to it again, oldest first, so a row
    /// never goes back to a status the stream has already moved past.
    static func replay<Row>(_ ring: EventsState, since eventsSeen: Int, onto rows: inout [Row],
                            patch: (inout [Row], StreamedEvent) -> Bool) {
        let start = max(eventsSeen, ring.firstIndex) - ring.firstIndex
        guard start < ring.events.count else { return }
        for event in ring.events[start...] { _ = patch(&rows, event) }
    }

    /// Applies one event to the order row it names, if the page holds it; true if it did.
    @discardableResult
    static func patch(_ rows: inout [Order], with event: StreamedEvent) -> Bool {
        switch event.envelope.payload {
        case .orderCreated: return rows.contains { $0.id == event.envelope.payload.orderId }
        case .orderStatusUpdated(let update):
            guard let i = rows.firstIndex(where: { $0.id == update.orderId }) else { return false }
            rows[i].status = update.to
            rows[i].updatedAt = event.envelope.occurredAt
            if update.to == .paid { rows[i].failureReason = nil }
            return true
        case .paymentProcessed(let processed):
            guard let i = rows.firstIndex(where: { $0.id == processed.orderId }) else { return false }
            if processed.status == .failed { rows[i].failureReason = processed.failureReason }
            return true
        }
    }

    /// Applies one payment outcome to the payment row it names, if the page holds it; true if it did.
    @discardableResult
    static func patch(_ rows: inout [Payment], with event: StreamedEvent) -> Bool {
        guard case .paymentProcessed(let processed) = event.envelope.payload,
              let i = rows.firstIndex(where: { $0.id == processed.paymentId }) else { return false }
        switch processed.status {
        case .success: rows[i].status = .success; rows[i].failureReason = nil
        case .failed: rows[i].status = .failed; rows[i].failureReason = processed.failureReason
        case .refunded: rows[i].status = .refunded
        }
        rows[i].attempts = max(rows[i].attempts, processed.attempt)
        return true
    }

    enum EffectKey: Hashable {
        case counts, orders, payments, detail(DetailRequest)
        var effect: Effect {
            switch self {
            case .counts: .loadCounts
            case .orders: .load(.orders)
            case .payments: .load(.payments)
            case .detail(let request): .loadDetail(request)
            }
        }
    }
}
