import Foundation
import OrderPayCore

/// An exclusive advisory lock (flock) on a directory, held by one open descriptor at a time, in
/// this process or another. Locking the directory itself leaves no lock file behind, and never
/// touches the SQLite files, whose POSIX locks a stray descriptor's close would drop.
struct DirectoryLock {
    /// -1 when the file system cannot lock a directory (some network and FUSE mounts): opening
    /// then goes on unlocked, as it did before there was a lock.
    private let descriptor: Int32

    /// Waits until the lock is free, at most `timeout`.
    init(directory: String, timeout: TimeInterval) throws {
        let path = directory.isEmpty ? "." : directory
        let fd = Foundation.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw AppError(.unavailable, "cannot open data directory \(path): \(String(cString: strerror(errno)))")
        }
        let deadline = Date().addingTimeInterval(timeout)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            switch errno {
            case EINTR:
                continue
            case EWOULDBLOCK:
                guard Date() < deadline else {
                    close(fd)
                    throw AppError(.unavailable, "data directory \(path) stayed locked by another process setting it up for \(Int(timeout)) s")
                }
                usleep(10_000)
            default:
                close(fd)
                descriptor = -1
                return
            }
        }
        descriptor = fd
    }

    func release() {
        if descriptor >= 0 { close(descriptor) }   // closing the only descriptor releases the lock
    }
}
