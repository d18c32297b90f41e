import Foundation
import GRDB

/// Copies every open database's write-ahead log back into its database file on one background
/// thread, so a commit never does it.
///
/// SQLite's own checkpoint runs inside the commit that pushes the log past its limit: that commit
/// then copies a thousand pages and waits for them to reach the disk, and every order behind it
/// waits too (the spikes in `bench flow`'s p99). Here a PASSIVE checkpoint runs on a connection of
/// its own, beside the writers and readers, never blocking them: every `busyInterval` while a
/// database's log keeps changing, every `idleInterval` once none has changed for a second, so an
/// idle process hardly wakes. Each checkpoint syncs the database file, and those syncs queue with
/// the commits' own: with commits synced, `bench flow`'s half-rate p99 was lowest at 200 ms
/// (17.6–19.8 ms, against 22–26 every 10 ms, 22–23 every 50 ms, 19–29 every 500 ms and 24–25
/// every second). (Before commits were synced, small checkpoints every 10 ms had been best.) A change is seen from the log file's
/// modification time, whoever wrote it (another process on the same data dir too). SQLite's
/// in-commit checkpoint stays as a backstop, at a limit this thread keeps the log under.
final class WALCheckpointer: @unchecked Sendable {
    static let shared = WALCheckpointer()
    /// Pages in the log at which a commit checkpoints by itself (SQLite's default is 1,000).
    static let backstopPages = 10_000
    let busyInterval: TimeInterval = 0.2
    let idleInterval: TimeInterval = 0.25
    let quietAfter: TimeInterval = 1

    private struct Watched {
        weak var pool: DatabasePool?
        let connection: DatabaseQueue
        let logPath: String
        var lastChange = timespec()
    }

    private let lock = NSLock()
    private var watched: [Watched] = []
    private var started = false

    /// Checkpoints `path` for as long as `pool` is alive.
    func watch(_ pool: DatabasePool, path: String, synchronous: String, busyTimeout: TimeInterval) throws {
        var configuration = Configuration()
        // Opening reads the file: wait, like the stores do, while another process recovers the log.
        configuration.busyMode = .timeout(busyTimeout)
        // The checkpoint's own writes (to the database file) are as durable as the commits.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
        let connection = try DatabaseQueue(path: path, configuration: configuration)
        let startThread: Bool = lock.withLock {
            watched.append(Watched(pool: pool, connection: connection, logPath: path + "-wal"))
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
        var lastActivity = -quietAfter   // seconds of uptime: a monotonic clock
        while true {
            Thread.sleep(forTimeInterval: ProcessInfo.processInfo.systemUptime - lastActivity < quietAfter ? busyInterval : idleInterval)
            var released: [Watched] = []
            let changed: [DatabaseQueue] = lock.withLock {
                released = watched.filter { $0.pool == nil }
                watched.removeAll { $0.pool == nil }
                var changed: [DatabaseQueue] = []
                for index in watched.indices {
                    var info = stat()
                    guard stat(watched[index].logPath, &info) == 0 else { continue }
                    let modified = info.st_mtim
                    if modified.tv_sec != watched[index].lastChange.tv_sec || modified.tv_nsec != watched[index].lastChange.tv_nsec {
                        watched[index].lastChange = modified
                        changed.append(watched[index].connection)
                    }
                }
                return changed
            }
            // A closed pool's connection is let go here, outside the lock: as the last connection
            // to its file it checkpoints and syncs on closing, and `watch` should not wait for that.
            released.removeAll()
            if !changed.isEmpty { lastActivity = ProcessInfo.processInfo.systemUptime }
            for connection in changed {
                // Busy (another process is checkpointing) or failing: the next change tries again,
                // and the commits' own backstop still bounds the log.
                try? connection.inDatabase { db in _ = try db.checkpoint(.passive) }
            }
        }
    }
}
