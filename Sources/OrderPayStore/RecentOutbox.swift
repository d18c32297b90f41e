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
    private struct State {
        var rows: RecentlyAdded<Int64, SerializedEvent>
        /// Rows up to here were deleted from the table: never served again.
        var removedThrough: Int64 = 0
    }

    private let state: Mutex<State>

    init(capacity: Int = 8192) { state = Mutex(State(rows: RecentlyAdded(capacity: capacity))) }

    func record(_ committed: [OutboxRow]) {
        guard !committed.isEmpty else { return }
        state.withLock { state in
            for row in committed { state.rows.add(row.event, for: row.id) }
        }
    }

    /// The rows were deleted from the outbox (by this process).
    func removed(upTo id: Int64) {
        state.withLock { $0.removedThrough = max($0.removedThrough, id) }
    }

    /// The rows still in the outbox after `id`, oldest first, while their ids run on without a
    /// gap; nil when the first of them is not here.
    func pending(after id: Int64, limit: Int) -> [OutboxRow]? {
        state.withLock { state in
            var run: [OutboxRow] = []
            var next = max(id, state.removedThrough) + 1
            while run.count < limit, let event = state.rows[next] {
                run.append((next, event))
                next += 1
            }
            return run.isEmpty ? nil : run
        }
    }
}
