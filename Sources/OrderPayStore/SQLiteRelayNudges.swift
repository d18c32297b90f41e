import Foundation
import OrderPayCore
#if canImport(Glibc)
import Glibc
#endif

/// Nudges for the Kafka relay of a SQLite outbox shared by several processes (instances of a
/// service on one data dir): a one-byte write to a file beside the database, which every relay
/// watches with inotify. A write to the database itself would not do: its WAL changes with every
/// commit of every process, the relay's own included, and a relay woken for each found nothing.
struct SQLiteRelayNudges {
    let path: String

    init(databasePath: String) { path = databasePath + "-relay-nudge" }

    func nudge() throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AppError(.unavailable, "cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var byte: UInt8 = 1
        // Always the same byte at the same place: the file never grows, and the write alone is the news.
        guard pwrite(fd, &byte, 1, 0) == 1 else { throw AppError(.unavailable, "cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    /// Until the task is cancelled. Without inotify (not Linux) it returns at once, and the relay
    /// finds other processes' events on its timed looks.
    func watch(_ onNudge: @escaping @Sendable () -> Void) async {
        // The file must exist to be watched by itself (a watch on the directory would see every WAL write there).
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
        let url = URL(fileURLWithPath: path)
        // No coalescing window and no settle calls: a nudge is written after the commit it announces.
        guard let watcher = FileChangeWatcher(directory: url.deletingLastPathComponent().path, fileNames: [url.lastPathComponent],
                                              window: .zero, settle: [], onChange: onNudge) else { return }
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
        watcher.stop()
    }
}
