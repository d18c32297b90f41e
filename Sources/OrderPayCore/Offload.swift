import Dispatch

/// Work that would hold the calling thread for long (bcrypt, a file of megabytes), run on
/// Dispatch's threads and awaited. In `orderpay serve` the calling thread is an event loop that
/// also serves every other connection it owns; Dispatch's global queue runs such work on threads
/// of its own, at most about one per core.
public enum Offload {
    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(with: Result { try work() }) }
        }
    }

    public static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
    }
}
