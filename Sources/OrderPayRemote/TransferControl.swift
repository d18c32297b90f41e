import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Lets another thread stop a blocking libcurl transfer.
///
/// `cancel()` raises a flag the transfer's progress callback checks (libcurl calls it at least
/// about once a second, and on every chunk), and also shuts down the transfer's socket, which wakes
/// libcurl's poll at once so an idle event stream stops without waiting for that tick. The socket
/// is recorded by the socket-option callback and forgotten, under the same lock, before it is
/// closed, so a recycled descriptor is never shut down.
final class TransferControl: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var socket: Int32 = -1

    init() {}

    var isCancelled: Bool { lock.withLock { cancelled } }

    func cancel() {
        lock.withLock {
            cancelled = true
            if socket >= 0 { _ = shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }

    /// A socket was opened for the transfer. Returns false when the transfer is already cancelled.
    func opened(socket fd: Int32) -> Bool {
        lock.withLock {
            socket = fd
            return !cancelled
        }
    }

    /// libcurl wants the socket closed: forget it first, then close it.
    func close(socket fd: Int32) {
        lock.withLock {
            if socket == fd { socket = -1 }
            _ = Glibc.close(fd)
        }
    }

    /// The transfer is over: its handle (and socket) is about to be cleaned up.
    func finished() {
        lock.withLock { socket = -1 }
    }
}
