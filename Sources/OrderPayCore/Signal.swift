import Foundation

/// A wake-up flag for loops that wait for work (consumers, relays) without polling in a busy loop.
///
/// `notify()` bumps a generation; `wait(after:timeout:)` returns as soon as the generation moves
/// past the one the caller last saw, when the timeout passes (the fallback for changes made by
/// another process, which cannot notify this one), or when the waiting task is cancelled.
public final class Signal: @unchecked Sendable {
    private struct Waiter {
        let continuation: CheckedContinuation<Void, Never>
        let deadline: DispatchTime
    }

    private let lock = NSLock()
    private var generation: UInt64 = 0
    private var nextId: UInt64 = 0
    private var waiters: [UInt64: Waiter] = [:]
    /// One timer for all of this signal's waiters, set for the earliest deadline it may have to
    /// meet. The loops wait thousands of times a second and are almost always notified long before
    /// their timeout: a dispatch timer per wait (scheduled, then cancelled) woke libdispatch's
    /// timer thread each time. Now a wait touches the timer only when its deadline is earlier
    /// than the one already set; a timer that fires for waiters since woken finds nothing due and
    /// sets itself for the next deadline, if any.
    private var timer: DispatchSourceTimer?
    private var armedFor: DispatchTime?
    private static let timerQueue = DispatchQueue(label: "orderpay.signal.timeouts")

    public init() {}

    deinit { timer?.cancel() }

    public var current: UInt64 { lock.withLock { generation } }

    public func notify() {
        let woken: [Waiter] = lock.withLock {
            generation &+= 1
            defer { waiters.removeAll(keepingCapacity: true) }
            return Array(waiters.values)
        }
        for waiter in woken { waiter.continuation.resume() }
    }

    /// Returns the generation now current.
    @discardableResult
    public func wait(after seen: UInt64, timeout: Duration) async -> UInt64 {
        let id: UInt64 = lock.withLock { nextId &+= 1; return nextId }
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = min(max(0, seconds), 1_000_000) * 1_000_000_000 + (seconds >= 0 ? attoseconds / 1_000_000_000 : 0)
        let deadline = DispatchTime.now() + .nanoseconds(Int(clamping: nanoseconds))
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = lock.withLock {
                    if generation != seen { return true }
                    waiters[id] = Waiter(continuation: continuation, deadline: deadline)
                    if armedFor.map({ deadline < $0 }) ?? true { arm(for: deadline) }
                    return false
                }
                if resumeNow { return continuation.resume() }
                // Cancelled before the continuation was registered: the handler below found nothing to wake.
                if Task.isCancelled { wake(id) }
            }
        } onCancel: {
            wake(id)
        }
        return current
    }

    /// Called with the lock held.
    private func arm(for deadline: DispatchTime) {
        if let timer {
            timer.schedule(deadline: deadline, leeway: .milliseconds(1))
        } else {
            let source = DispatchSource.makeTimerSource(queue: Self.timerQueue)
            source.setEventHandler { [weak self] in self?.expire() }
            source.schedule(deadline: deadline, leeway: .milliseconds(1))
            source.resume()
            timer = source
        }
        armedFor = deadline
    }

    /// Wakes the waiters whose deadline passed and sets the timer for the next one.
    private func expire() {
        let due: [Waiter] = lock.withLock {
            let now = DispatchTime.now()
            let due = waiters.filter { $0.value.deadline <= now }
            for id in due.keys { waiters[id] = nil }
            if let next = waiters.values.map(\.deadline).min() {
                arm(for: next)
            } else {
                armedFor = nil
            }
            return Array(due.values)
        }
        for waiter in due { waiter.continuation.resume() }
    }

    private func wake(_ id: UInt64) {
        guard let waiter = lock.withLock({ waiters.removeValue(forKey: id) }) else { return }
        waiter.continuation.resume()
    }
}
