import Foundation
import OrderPayCore

extension ConsoleUpdate {
    /// What an event did to the page on screen.
    enum Patched {
        /// The row it names is not on the page.
        case notShown
        /// The row took the event.
        case applied
        /// The row is not where the event starts from (it is past it, or it missed an earlier
        /// event): left as it is.
        case outOfStep
    }

    /// New events: into the ring, and into the rows on screen in place. A new order or payment
    /// the page does not hold, or a row out of step with the stream, refetches that one page
    /// (the runtime coalesces repeated loads).
    static func absorb(_ batch: [StreamedEvent], into state: inout ConsoleState) -> [Effect] {
        state.events.append(batch)
        if state.events.follow { state.events.cursor = max(state.events.visibleFirst, state.events.visibleEnd - 1) }
        var effects: Set<EffectKey> = []
        for event in batch {
            if patch(&state.orders.rows, with: event) == .outOfStep { effects.insert(.orders) }
            let payment = patch(&state.payments.rows, with: event)
            if !state.payments.markedRows.isEmpty {
                // Marks on other pages follow the stream too, so a bulk retry sees their status.
                var marked = Array(state.payments.markedRows.values)
                if patch(&marked, with: event) == .applied { for row in marked { state.payments.markedRows[row.id] = row } }
            }
            switch event.envelope.payload {
            case .orderCreated:
                effects.insert(.counts)
                if state.orders.page == 0 { effects.insert(.orders) }
            case .orderStatusUpdated:
                effects.insert(.counts)
            case .paymentProcessed:
                if payment == .outOfStep || (payment == .notShown && state.payments.page == 0) { effects.insert(.payments) }
            case .undecodable:
                break   // shown in the events pane; nothing this build can apply to a row
            }
            if case .detail(let detail)? = state.topOverlay, detail.content.orderId == event.envelope.payload.orderId {
                effects.insert(.detail(detail.content.request!))
            }
        }
        return effects.map(\.effect).sorted { "\($0)" < "\($1)" }
    }

    /// A page fetched while events kept arriving can be older than some of them: the events
    /// absorbed since the page was asked for are applied to it again, oldest first, each only
    /// where the row is at the step the event starts from, so a row the server already moved
    /// further keeps its newer state. Returns false when some of those events have left the
    /// ring: the page may then be stale, and is worth fetching again.
    static func replay<Row>(_ ring: EventsState, since eventsSeen: Int, onto rows: inout [Row],
                            patch: (inout [Row], StreamedEvent) -> Patched) -> Bool {
        let start = max(eventsSeen, ring.firstIndex) - ring.firstIndex
        if start < ring.events.count {
            for event in ring.events[start...] { _ = patch(&rows, event) }
        }
        return eventsSeen >= ring.firstIndex
    }

    /// Applies one event to the order row it names.
    @discardableResult
    static func patch(_ rows: inout [Order], with event: StreamedEvent) -> Patched {
        let payload = event.envelope.payload
        guard let i = rows.firstIndex(where: { $0.id == payload.orderId }) else { return .notShown }
        switch payload {
        case .orderCreated: return .applied
        case .orderStatusUpdated(let update):
            // Statuses can repeat (FAILED → PENDING → FAILED on a retry), so a transition is
            // placed by where it starts, not by where it ends.
            guard update.from == nil || update.from == rows[i].status else { return rows[i].status == update.to ? .applied : .outOfStep }
            rows[i].status = update.to
            rows[i].updatedAt = event.envelope.occurredAt
            if update.to == .paid { rows[i].failureReason = nil }
        case .paymentProcessed(let processed):
            // A decline's reason belongs to an order not paid yet (the outcome comes before the
            // order's own CREATED → PENDING → FAILED) or failed by it, not to one paid since.
            if processed.status == .failed, [.created, .pending, .failed].contains(rows[i].status) { rows[i].failureReason = processed.failureReason }
        case .undecodable:
            return .notShown
        }
        return .applied
    }

    /// Applies one payment outcome to the payment row it names.
    @discardableResult
    static func patch(_ rows: inout [Payment], with event: StreamedEvent) -> Patched {
        guard case .paymentProcessed(let processed) = event.envelope.payload else { return .notShown }
        guard let i = rows.firstIndex(where: { $0.id == processed.paymentId }) else { return .notShown }
        switch processed.status {
        case .success, .failed:
            // An attempt's outcome: news only for a newer attempt, or for the row's own attempt
            // while it still waits on it.
            let waiting = [.pending, .processing].contains(rows[i].status)
            guard processed.attempt > rows[i].attempts || (processed.attempt == rows[i].attempts && waiting) else {
                return rows[i].status == PaymentStatus(processed.status) && processed.attempt == rows[i].attempts ? .applied : .outOfStep
            }
            rows[i].status = PaymentStatus(processed.status)
            rows[i].failureReason = processed.status == .failed ? processed.failureReason : nil
            rows[i].attempts = processed.attempt
        case .refunded:
            rows[i].status = .refunded
        case .cancelled:
            rows[i].status = .cancelled
        }
        return .applied
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

private extension PaymentStatus {
    /// The payment's status after an attempt with this outcome.
    init(_ outcome: PaymentOutcome) {
        switch outcome {
        case .success: self = .success
        case .failed: self = .failed
        case .refunded: self = .refunded
        case .cancelled: self = .cancelled
        }
    }
}
