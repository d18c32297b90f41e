import Foundation

/// A wake-up flag for loops that wait for work (consumers, relays) without polling in a busy loop.
///
/// `notify()` bumps a generation; `wait(after:timeout:)` returns as soon as the generation moves
/// past the one the caller last saw, or when the timeout passes (the fallback for changes made by
/// another process, which cannot notify this one).
public final class Signal: @unchecked Sendable {
    private let lock = NSLock()
    private var generation: UInt64 = 0
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    /// Waits woken before they had registered (the timeout won the race): they must not block.
    private var expired: Set<UUID> = []

    public init() {}

    public var current: UInt64 { lock.withLock { generation } }

    public func notify() {
        let woken: [CheckedContinuation<Void, Never>] = lock.withLock {
            generation &+= 1
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
        woken.forEach { $0.resume() }
    }

    /// Returns the generation now current.
    @discardableResult
    public func wait(after seen: UInt64, timeout: Duration) async -> UInt64 {
        let id = UUID()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let resumeNow: Bool = self.lock.withLock {
                        if self.generation != seen || self.expired.remove(id) != nil { return true }
                        self.waiters[id] = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.wake(id)
            }
            await group.next()
            group.cancelAll()
            self.wake(id)
        }
        lock.withLock { _ = expired.remove(id) }
        return current
    }

    private func wake(_ id: UUID) {
        let continuation: CheckedContinuation<Void, Never>? = lock.withLock {
            if let waiting = waiters.removeValue(forKey: id) { return waiting }
            expired.insert(id)
            return nil
        }
        continuation?.resume()
    }
}
