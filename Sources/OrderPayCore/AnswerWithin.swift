import Foundation

/// Runs `body` but answers after `timeout` whether or not it has finished: the body is then
/// cancelled, and one that does not stop at cancellation (a driver waiting for a connection to
/// a database that does not answer) finishes in the background, its result dropped. For checks
/// whose answer must come in time: a health check that waited for a hung dependency could not
/// say the dependency is down, and `orderpay up` would take the silence for a hung process.
public func answerWithin<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let first = FirstOutcome(continuation)
        let work = Task {
            do { first.settle(.success(try await body())) } catch { first.settle(.failure(error)) }
        }
        Task {
            try? await Task.sleep(for: timeout)
            if first.settle(.failure(NoAnswerInTime(timeout: timeout))) { work.cancel() }
        }
    }
}

public struct NoAnswerInTime: Error, CustomStringConvertible {
    public let timeout: Duration
    public var description: String { "no answer within \(timeout)" }
}

/// Resumes the continuation with the first outcome; later ones are dropped.
private final class FirstOutcome<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?

    init(_ continuation: CheckedContinuation<T, any Error>) { self.continuation = continuation }

    /// True for the first outcome.
    @discardableResult
    func settle(_ result: Result<T, any Error>) -> Bool {
        guard let continuation = lock.withLock({ defer { self.continuation = nil }; return self.continuation }) else { return false }
        continuation.resume(with: result)
        return true
    }
}
