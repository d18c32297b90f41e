import Foundation

/// Runs `work` and gives its outcome if it finishes within `timeout`, else nil at the deadline,
/// without waiting for it: `work` goes on in its own task (cancelled, which it may ignore) and its
/// late result is dropped. A task group would not do: it awaits every child before it returns, so
/// a probe stuck in a blocking call (SQLite's busy wait, a pool waiting for a server that is down)
/// held the answer until it gave up, however short the group's own timer.
public func outcome<T: Sendable>(within timeout: Duration, of work: @escaping @Sendable () async throws -> T) async -> Result<T, any Error>? {
    let once = ResumeOnce<Result<T, any Error>?>()
    var tasks: [Task<Void, Never>] = []
    let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, any Error>?, Never>) in
        once.lock.withLock { once.continuation = continuation }
        tasks.append(Task {
            let value: Result<T, any Error>
            do { value = .success(try await work()) } catch { value = .failure(error) }
            once.resume(value)
        })
        tasks.append(Task {
            try? await Task.sleep(for: timeout)
            once.resume(nil)
        })
    }
    tasks.forEach { $0.cancel() }
    return result
}

/// Resumes a continuation once, whichever of several tasks comes first.
private final class ResumeOnce<Value: Sendable>: @unchecked Sendable {
    let lock = NSLock()
    var continuation: CheckedContinuation<Value, Never>?

    func resume(_ value: Value) {
        let waiting = lock.withLock { () -> CheckedContinuation<Value, Never>? in
            defer { continuation = nil }
            return continuation
        }
        waiting?.resume(returning: value)
    }
}
