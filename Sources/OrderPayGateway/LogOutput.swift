import Foundation
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One file descriptor's log lines (see LineLogHandler): shared by every handler on it, so
/// deferred and immediate lines keep their order.
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
    private let lock = NSLock()
    private var pending: [UInt8] = []
    private var flushScheduled = false

    private init(_ fileDescriptor: Int32) { self.fileDescriptor = fileDescriptor }

    /// One line, written into the pending bytes by `line`.
    func append(deferrable: Bool, _ line: (inout [UInt8]) -> Void) {
        if deferrable, let loop = MultiThreadedEventLoopGroup.currentEventLoop {
            let schedule: Bool = lock.withLock {
                line(&pending)
                if pending.count >= 1 << 16 { writePending() }
                defer { flushScheduled = true }
                return !flushScheduled
            }
            // Runs once the loop has handled the I/O events it woke up for.
            if schedule { loop.execute { self.flush() } }
        } else {
            lock.withLock {
                line(&pending)
                writePending()
            }
        }
    }

    func flush() {
        lock.withLock {
            flushScheduled = false
            writePending()
        }
    }

    /// Called with the lock held.
    private func writePending() {
        pending.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 { offset += written } else if written < 0 && errno == EINTR { continue } else { return }
            }
        }
        pending.removeAll(keepingCapacity: true)
    }
}
