import OrderPayCore
import Synchronization

/// The events this process put in its outboxes lately, by event id, still decoded: the relay that
/// copies them to the log hands them on to this process's readers (`RecentEvents`) without
/// decoding the JSON it just encoded. A draft whose transaction rolled back is never asked for and
/// ages out; one that aged out before the relay came is decoded from its JSON as before.
final class RecentDrafts: Sendable {
    static let shared = RecentDrafts()

    private let drafts: Mutex<RecentlyAdded<String, EventDraft>>

    init(capacity: Int = 8192) { drafts = Mutex(RecentlyAdded(capacity: capacity)) }

    func remember(_ drafts: [EventDraft]) {
        self.drafts.withLock { recent in
            for draft in drafts { recent.add(draft, for: draft.eventId) }
        }
    }

    /// The draft behind `event`: remembered if this process wrote it, else decoded.
    func draft(of event: SerializedEvent) throws -> EventDraft {
        if let draft = drafts.withLock({ $0.remove(event.eventId) }) { return draft }
        return try event.draft()
    }
}
