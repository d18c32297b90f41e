import Foundation

/// Coalesced keyed reads: lookups that arrive while one is running share the next read of the
/// union of their keys; a lone lookup runs at once. Never a cache: every lookup is answered by a
/// read that started after it was asked, so a committed change is always seen.
///
/// Every order placement prices its items from the catalog; under load those lookups were the one
/// read still paid per order (on PostgreSQL a pooled connection and a round trip each).
public final class CoalescedLookup<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    private struct Waiter {
        let keys: [Key]
        let continuation: CheckedContinuation<[Key: Value], Error>
    }

    private let read: @Sendable ([Key]) async throws -> [Key: Value]
    private let lock = NSLock()
    private var waiting: [Waiter] = []
    private var reading = false

    public init(read: @escaping @Sendable ([Key]) async throws -> [Key: Value]) { self.read = read }

    public func values(for keys: [Key]) async throws -> [Key: Value] {
        try await withCheckedThrowingContinuation { continuation in
            let start: Bool = lock.withLock {
                waiting.append(Waiter(keys: keys, continuation: continuation))
                if reading { return false }
                reading = true
                return true
            }
            if start { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let batch: [Waiter] = lock.withLock {
                let batch = waiting
                waiting.removeAll()
                if batch.isEmpty { reading = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                let found = try await read(Array(Set(batch.flatMap(\.keys))))
                for waiter in batch {
                    var answer: [Key: Value] = [:]
                    for key in waiter.keys { answer[key] = found[key] }
                    waiter.continuation.resume(returning: answer)
                }
            } catch {
                for waiter in batch { waiter.continuation.resume(throwing: error) }
            }
        }
    }
}
