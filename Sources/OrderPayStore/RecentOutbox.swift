import OrderPayCore
import Synchronization

/// The outbox rows this process committed lately, by id, so the relay copies them to the log
/// without reading back what was just written (that read was 5 % of `bench flow`'s CPU).
///
/// Only ever a shortcut, like `RecentEvents`: it answers with a run of consecutive ids starting
/// right after the relay's cursor, else nil and the relay reads SQLite. That covers rows another
/// process wrote to the same database, rows committed but not yet recorded here, and rows that
/// aged out. Rows are recorded after their transaction committed; outbox ids are never reused
/// (AUTOINCREMENT), so an id recorded here names the same row in the database.
final class RecentOutbox: Sendable {
    private let rows: Mutex<RecentRing<SerializedEvent>>

    init(capacity: Int = 8192) { rows = Mutex(RecentRing(capacity: capacity)) }

    /// After a commit that enqueued `committed`: keeps the rows and wakes the relay.
    func record(_ committed: [OutboxRow], waking relay: Signal) {
        guard !committed.isEmpty else { return }
        rows.withLock { recent in
            for row in committed { recent.add(row.event, for: row.id) }
        }
        relay.notify()
    }

    /// The rows after `id`, oldest first, while their ids run on without a gap; nil when the row
    /// right after `id` is not here. Whether they are still in the outbox is the caller's to
    /// check (`Outbox.pending`): another process may have deleted them.
    func pending(after id: Int64, limit: Int) -> [OutboxRow]? {
        rows.withLock { recent in
            var run: [OutboxRow] = []
            var next = id + 1
            while run.count < limit, let event = recent[next] {
                run.append((next, event))
                next += 1
            }
            return run.isEmpty ? nil : run
        }
    }
}
