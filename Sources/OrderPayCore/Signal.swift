import Foundation

/// A wake-up flag for loops that wait for work (consumers, relays) without polling in a busy loop.
///
/// `notify()` bumps a generation; `wait(after:timeout:)` returns as soon as the generation moves
/// past the one the caller last saw, when the timeout passes (the fallback for changes made by
/// another process, which cannot notify this one), or when the waiting task is cancelled.
public final class Signal: @unchecked Sendable {
    private struct Waiter {
        let continuation: CheckedContinuation<Void, Never>
        let timer: DispatchWorkItem
    }

    private let lock = NSLock()
    private var generation: UInt64 = 0
    private var nextId: UInt64 = 0
    private var waiters: [UInt64: Waiter] = [:]

    public init() {}

    public var current: UInt64 { lock.withLock { generation } }

    public func notify() {
        let woken: [Waiter] = lock.withLock {
            generation &+= 1
            defer { waiters.removeAll(keepingCapacity: true) }
            return Array(waiters.values)
        }
        for waiter in woken {
            waiter.timer.cancel()
            waiter.continuation.resume()
        }
    }

    /// Returns the generation now current.
    ///
    /// One continuation and one dispatch timer per wait (cancelled when notified): the loops wait
    /// thousands of times a second under load, and a task group with a sleeping child task per wait
    /// cost two task spawns and a cancellation each time.
    @discardableResult
    public func wait(after seen: UInt64, timeout: Duration) async -> UInt64 {
        let id: UInt64 = lock.withLock { nextId &+= 1; return nextId }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let timer = DispatchWorkItem { [weak self] in self?.wake(id) }
                let resumeNow: Bool = lock.withLock {
                    if generation != seen { return true }
                    waiters[id] = Waiter(continuation: continuation, timer: timer)
                    return false
                }
                if resumeNow { return continuation.resume() }
                let (seconds, attoseconds) = timeout.components
                let nanoseconds = min(max(0, seconds), 1_000_000) * 1_000_000_000 + (seconds >= 0 ? attoseconds / 1_000_000_000 : 0)
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(clamping: nanoseconds)), execute: timer)
                // Cancelled before the continuation was registered: the handler below found nothing to wake.
                if Task.isCancelled { wake(id) }
            }
        } onCancel: {
            wake(id)
        }
        return current
    }

    private func wake(_ id: UInt64) {
        guard let waiter = lock.withLock({ waiters.removeValue(forKey: id) }) else { return }
        waiter.timer.cancel()
        waiter.continuation.resume()
    }
}
