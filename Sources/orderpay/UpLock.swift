import Foundation
import OrderPayCore

/// One `orderpay up` per data directory. A second one (with `--random-ports`, or other ports)
/// would start a second registry on the same store and a second set of every service on the same
/// databases: almost always a mistake (an `up` left running in another terminal), and its
/// registry would evict or list the first one's instances. `flock` on `up.lock` in the data dir:
/// the kernel releases it when the holder dies however it dies, so no stale lock is ever left.
struct UpLock {
    private let descriptor: Int32
    /// False on a file system that cannot lock (some network and FUSE mounts): a second `up`
    /// there would not be refused, which `up` says.
    let isHeld: Bool

    /// Takes the lock and writes who holds it (for the next `up`'s message), or throws a
    /// conflict naming the holder. A file system that cannot lock goes on unlocked.
    init(dataDirectory: String, gatewayURL: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw AppError(.unavailable, "cannot create data directory \(dataDirectory): \(error.localizedDescription)")
        }
        let path = (dataDirectory as NSString).appendingPathComponent("up.lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw AppError(.unavailable, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            if errno == EWOULDBLOCK {
                let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                close(fd)
                throw AppError(.conflict, "another orderpay up is running on data dir \(dataDirectory)"
                    + (holder.isEmpty ? "" : " (\(holder))") + "; stop it first, or give this one another --data")
            }
            descriptor = fd
            isHeld = false
            return
        }
        let holder = "pid \(getpid()), gateway \(gatewayURL)\n"
        _ = ftruncate(fd, 0)
        _ = holder.withCString { pwrite(fd, $0, strlen($0), 0) }
        descriptor = fd
        isHeld = true
    }

    /// Held until the process ends; an explicit release for a clean stop.
    func release() { close(descriptor) }
}
