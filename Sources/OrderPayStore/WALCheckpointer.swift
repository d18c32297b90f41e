import Foundation
import GRDB

/// Copies every open database's write-ahead log back into its database file on one background
/// thread, so a commit never does it.
///
/// SQLite's own checkpoint runs inside the commit that pushes the log past its limit: that commit
/// then copies a thousand pages and waits for them to reach the disk, and every order behind it
/// waits too (the spikes in `bench flow`'s p99). Here a PASSIVE checkpoint runs every
/// `interval` on a connection of its own, beside the writers and readers, never blocking them.
/// SQLite's in-commit checkpoint stays as a backstop, at a limit this thread keeps the log under.
final class WALCheckpointer: @unchecked Sendable {
    static let shared = WALCheckpointer()
    /// Pages in the log at which a commit checkpoints by itself (SQLite's default is 1,000).
    static let backstopPages = 10_000
    let interval: TimeInterval = 0.05

    private struct Watched {
        weak var pool: DatabasePool?
        let connection: DatabaseQueue
    }

    private let lock = NSLock()
    private var watched: [Watched] = []
    private var started = false

    /// Checkpoints `path` for as long as `pool` is alive.
    func watch(_ pool: DatabasePool, path: String, synchronous: String) throws {
        var configuration = Configuration()
        // The checkpoint's own writes (to the database file) are as durable as the commits.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
        let connection = try DatabaseQueue(path: path, configuration: configuration)
        let startThread: Bool = lock.withLock {
            watched.append(Watched(pool: pool, connection: connection))
            defer { started = true }
            return !started
        }
        if startThread {
            let thread = Thread { [unowned self] in self.run() }
            thread.name = "sqlite-checkpointer"
            thread.start()
        }
    }

    private func run() {
        while true {
            Thread.sleep(forTimeInterval: interval)
            // A closed pool's connection is let go here, on this thread.
            let connections = lock.withLock {
                watched.removeAll { $0.pool == nil }
                return watched.map(\.connection)
            }
            for connection in connections {
                // Busy (another process is checkpointing) or failing: the next round tries again,
                // and the commits' own backstop still bounds the log.
                try? connection.inDatabase { db in _ = try db.checkpoint(.passive) }
            }
        }
    }
}
