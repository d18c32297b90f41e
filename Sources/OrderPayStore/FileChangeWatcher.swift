import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Calls `onChange` when a file in a directory is written, via Linux inotify: how a process learns,
/// at once and without polling, that another process appended to a shared SQLite file (its WAL).
/// A blocked thread costs no CPU while nothing happens. Elsewhere it does nothing, and callers
/// fall back to their timed waits.
///
/// Writes are coalesced over `window`: after a change the thread waits that long, takes every
/// event that came meanwhile, and calls `onChange` once, so every change is followed by a call
/// that starts after it, at most `window` later. The process's own writes to the file wake it too
/// (inotify cannot tell who wrote); done here, on the watcher's own thread, a burst costs two
/// wake-ups per window, where a dispatch timer per burst cost `bench flow` two context switches
/// more each time (the watcher and libdispatch's timer thread were 40 % of its context switches).
///
/// After a burst's call, `onChange` is called again after each of the `settle` delays in turn
/// (10 ms, then 100 ms after that, by default) unless another change came first: a change to a SQLite WAL can be seen before the commit it
/// belongs to is (SQLite writes the frames, then updates its WAL index), so a reader the first
/// call woke may find nothing new yet. Without these calls it waited for its timed fallback (a
/// consumer 1 s, the console 5 s), as a loaded machine showed about once in twenty tries.
public final class FileChangeWatcher: @unchecked Sendable {
    private var descriptor: Int32 = -1
    /// Writing to this pipe wakes the watcher thread so it can exit (closing an fd does not
    /// interrupt a blocked read on Linux).
    private var stopPipe: [Int32] = [-1, -1]
    private var thread: Thread?

    public init?(directory: String, fileNames: Set<String>, window: Duration = .milliseconds(2),
                 settle: [Duration] = [.milliseconds(10), .milliseconds(100)], onChange: @escaping @Sendable () -> Void) {
        #if os(Linux)
        let fd = inotify_init1(Int32(IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        // One existing file is watched itself: a watch on the directory makes the kernel queue an
        // event for every write to any file there (the other services' WALs too), which showed up
        // in `bench flow` profiles. A SQLite WAL stays in place while a connection (ours) is open.
        let single = fileNames.count == 1 ? (directory as NSString).appendingPathComponent(fileNames.first!) : nil
        let watchingFile = single.map { inotify_add_watch(fd, $0, UInt32(IN_MODIFY)) >= 0 } ?? false
        guard watchingFile || inotify_add_watch(fd, directory, UInt32(IN_MODIFY)) >= 0 else {
            close(fd)
            return nil
        }
        var pipeFds: [Int32] = [-1, -1]
        guard pipe(&pipeFds) == 0 else {
            close(fd)
            return nil
        }
        descriptor = fd
        stopPipe = pipeFds
        let stopRead = pipeFds[0]
        func microseconds(_ duration: Duration) -> Int64 { duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000 }
        let windowMicroseconds = UInt32(clamping: microseconds(window))
        let settleMilliseconds = settle.map { Int32(clamping: max(1, microseconds($0) / 1000)) }
        let thread = Thread {
            let size = 64 * 1024
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
            defer {
                buffer.deallocate()
                close(fd)
                close(stopRead)
            }
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: stopRead, events: Int16(POLLIN), revents: 0)]
            var relevant = false
            var waitMilliseconds: Int32 = -1   // until an event; 0 while draining a window's events
            var settled = settleMilliseconds.count   // the settle calls made since the last burst's
            while true {
                fds[0].revents = 0
                fds[1].revents = 0
                let ready = poll(&fds, 2, waitMilliseconds)
                if ready < 0 {
                    if errno == EINTR { continue }
                    return
                }
                if fds[1].revents != 0 { return }   // stop() was called
                if ready == 0 {   // the window's events are all read, or a settle delay passed quietly
                    if waitMilliseconds == 0 {
                        if relevant {
                            onChange()
                            settled = 0
                        }
                    } else {
                        onChange()
                        settled += 1
                    }
                    relevant = false
                    waitMilliseconds = settled < settleMilliseconds.count ? settleMilliseconds[settled] : -1
                    continue
                }
                let count = read(fd, buffer, size)
                if count <= 0 { return }
                if waitMilliseconds != 0, windowMicroseconds > 0 {
                    usleep(windowMicroseconds)   // let the burst finish: one call for all of it
                }
                waitMilliseconds = 0
                var offset = 0
                while offset < count {
                    let event = buffer.advanced(by: offset).assumingMemoryBound(to: inotify_event.self)
                    let nameLength = Int(event.pointee.len)
                    if watchingFile {
                        relevant = true
                    } else if nameLength > 0 {
                        let namePointer = buffer.advanced(by: offset + MemoryLayout<inotify_event>.size).assumingMemoryBound(to: CChar.self)
                        let name = String(decoding: UnsafeRawBufferPointer(start: namePointer, count: strnlen(namePointer, nameLength)), as: UTF8.self)
                        if fileNames.contains(name) { relevant = true }
                    }
                    offset += MemoryLayout<inotify_event>.size + nameLength
                }
            }
        }
        thread.name = "orderpay-file-watcher"
        thread.start()
        self.thread = thread
        #else
        return nil
        #endif
    }

    deinit { stop() }

    public func stop() {
        if stopPipe[1] >= 0 {
            var byte: UInt8 = 1
            _ = write(stopPipe[1], &byte, 1)
            close(stopPipe[1])
            stopPipe[1] = -1
        }
    }
}
