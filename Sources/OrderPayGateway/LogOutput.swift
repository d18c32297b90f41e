import Foundation
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One file descriptor's log lines (see LineLogHandler): shared by every handler on it, so
/// deferred and immediate lines keep their order.
///
/// Standard error is often a pipe shared by several processes (`orderpay up`'s children, a
/// container's log collector): the kernel keeps a write to a pipe whole only up to PIPE_BUF
/// bytes, so pending lines go out in pieces of at most that size, each ending at a line's end,
/// and the lines of two processes never splice into each other (a JSON line cut by another
/// process's bytes is lost to a collector).
final class LogOutput: @unchecked Sendable {
    private static let lock = NSLock()
    private static var outputs: [Int32: LogOutput] = [:]

    static func `for`(_ fileDescriptor: Int32) -> LogOutput {
        lock.withLock {
            if let output = outputs[fileDescriptor] { return output }
            let output = LogOutput(fileDescriptor)
            outputs[fileDescriptor] = output
            return output
        }
    }

    let fileDescriptor: Int32
    /// A pipe or socket, where only writes of up to PIPE_BUF bytes are atomic.
    let isShared: Bool
    private let lock = NSLock()
    private var pending: [UInt8] = []
    /// The event loops with a flush of this output queued: each loop flushes its own lines, so a
    /// loop busy for a while does not hold back the lines of another.
    private var flushQueuedOn: Set<ObjectIdentifier> = []

    private init(_ fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
        var status = stat()
        let kind = fstat(fileDescriptor, &status) == 0 ? status.st_mode & S_IFMT : 0
        isShared = kind == S_IFIFO || kind == S_IFSOCK
    }

    /// One line, written into the pending bytes by `line`; `deferrable`: on an event loop, it
    /// may wait until the loop has handled the I/O it woke up for, and leave with that batch's.
    func append(deferrable: Bool, _ line: (inout [UInt8]) -> Void) {
        if deferrable, let loop = MultiThreadedEventLoopGroup.currentEventLoop {
            let id = ObjectIdentifier(loop)
            let queue: Bool = lock.withLock {
                line(&pending)
                if pending.count >= 1 << 16 { writePending() }
                return flushQueuedOn.insert(id).inserted
            }
            if queue {
                loop.execute {
                    self.lock.withLock {
                        self.flushQueuedOn.remove(id)
                        self.writePending()
                    }
                }
            }
        } else {
            lock.withLock {
                line(&pending)
                writePending()
            }
        }
    }

    /// Called with the lock held.
    private func writePending() {
        pending.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let end = isShared ? Self.pieceEnd(bytes, from: offset) : bytes.count
                guard writeAll(bytes, offset..<end) else { break }
                offset = end
            }
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// The end of the next piece from `start`: the last line end within PIPE_BUF bytes, or the
    /// end of the one line when it alone is longer (it cannot be kept whole in any case).
    static func pieceEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        let limit = min(bytes.count, start + Int(PIPE_BUF))
        if limit == bytes.count { return limit }
        if let newline = bytes[start..<limit].lastIndex(of: UInt8(ascii: "\n")) { return newline + 1 }
        return bytes[limit...].firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? bytes.count
    }

    /// False when the output does not take the bytes (closed, or full for over a second): the
    /// rest is dropped rather than blocking a loop for ever.
    private func writeAll(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        var offset = range.lowerBound
        var waited = 0
        while offset < range.upperBound {
            let written = write(fileDescriptor, bytes.baseAddress! + offset, range.upperBound - offset)
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && waited < 10 {
                // Non-blocking and full (a collector behind): wait for room, a little at a time.
                var descriptor = pollfd(fd: fileDescriptor, events: Int16(POLLOUT), revents: 0)
                _ = poll(&descriptor, 1, 100)
                waited += 1
            } else {
                return false
            }
        }
        return true
    }
}
