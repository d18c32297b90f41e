import Foundation
import OrderPayCore

/// An exclusive advisory lock (flock) on a directory, held by one open descriptor at a time, in
/// this process or another. Locking the directory itself leaves no lock file behind, and never
/// touches the SQLite files, whose POSIX locks a stray descriptor's close would drop.
struct DirectoryLock {
    private let descriptor: Int32

    /// Waits until the lock is free.
    init(directory: String) throws {
        descriptor = Foundation.open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw AppError(.unavailable, "cannot open data directory \(directory): \(String(cString: strerror(errno)))")
        }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let reason = String(cString: strerror(errno))
                close(descriptor)
                throw AppError(.unavailable, "cannot lock data directory \(directory): \(reason)")
            }
        }
    }

    func release() {
        close(descriptor)   // closing the only descriptor releases the lock
    }
}
