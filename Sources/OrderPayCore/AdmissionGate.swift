import Foundation

/// Admission control for work that queues for a scarce resource: at most `limit` at once, running
/// or waiting; the next is refused at once. A flood then gets quick refusals instead of a queue
/// that grows without bound, in memory and in everyone's waiting time.
public final class AdmissionGate: @unchecked Sendable {
    public let limit: Int
    private let lock = NSLock()
    private var admitted = 0

    public init(limit: Int) {
        precondition(limit > 0, "an admission gate admits at least one")
        self.limit = limit
    }

    /// How many are in now.
    public var count: Int { lock.withLock { admitted } }

    /// Runs `work` if there is room, else throws `refusal()` without running it.
    public func run<T: Sendable>(refusal: () -> Error, _ work: () async throws -> T) async throws -> T {
        let entered = lock.withLock {
            guard admitted < limit else { return false }
            admitted += 1
            return true
        }
        guard entered else { throw refusal() }
        defer { lock.withLock { admitted -= 1 } }
        return try await work()
    }
}
