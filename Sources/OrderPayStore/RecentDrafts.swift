import OrderPayCore
import Synchronization

/// The events this process put in its outboxes lately, by event id, still decoded: the relay that
/// copies them to the log hands them on to this process's readers (`RecentEvents`) without
/// decoding the JSON it just encoded. A draft whose transaction rolled back is never asked for and
/// ages out; one that aged out before the relay came is decoded from its JSON as before.
final class RecentDrafts: Sendable {
    static let shared = RecentDrafts()

    private struct State {
        var drafts: [String: EventDraft] = [:]
        var order: [String] = []   // ids, oldest first, for eviction
        var evicted = 0
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 8192) { self.capacity = capacity }

    func remember(_ drafts: [EventDraft]) {
        state.withLock { state in
            for draft in drafts {
                state.drafts[draft.eventId] = draft
                state.order.append(draft.eventId)
            }
            // By position, not by what is left: drafts the relay took leave their ids behind.
            while state.order.count - state.evicted > capacity {
                state.drafts[state.order[state.evicted]] = nil
                state.evicted += 1
            }
            if state.evicted > capacity {
                state.order.removeFirst(state.evicted)
                state.evicted = 0
            }
        }
    }

    /// The draft behind `event`: remembered if this process wrote it, else decoded.
    func draft(of event: SerializedEvent) throws -> EventDraft {
        if let draft = state.withLock({ $0.drafts.removeValue(forKey: event.eventId) }) { return draft }
        return try event.draft()
    }
}
