import Foundation
import GRDB

/// Group commit: writes that arrive while a transaction is running are committed together in the
/// next one, each inside its own savepoint, so one write's failure (a constraint, a validation)
/// rolls back only that write. Under light load a write runs alone at once, so it adds no latency;
/// under load, N concurrent writers share one commit (and its sync to disk) instead of paying N.
/// The transaction runs on GRDB's writer queue, so no thread of Swift's cooperative pool (one per
/// core) is held while a commit waits for the disk: blocked there, they stalled every other stage
/// of the flow, and `bench flow`'s half-rate p99 doubled.
final class GroupCommitter: @unchecked Sendable {
    private struct Job {
        let work: (Database) throws -> Any
        let finish: (Result<Any, Error>) -> Void
    }

    private let pool: DatabasePool
    private let lock = NSLock()
    private var queued: [Job] = []
    private var draining = false

    init(pool: DatabasePool) { self.pool = pool }

    func write<T>(_ work: @escaping (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            let job = Job(work: { try work($0) }, finish: { result in continuation.resume(with: result.map { $0 as! T }) })
            let startDraining: Bool = lock.withLock {
                queued.append(job)
                if draining { return false }
                draining = true
                return true
            }
            if startDraining { drain() }
        }
    }

    private func nextJobs() -> [Job] {
        lock.withLock {
            let jobs = queued
            queued.removeAll(keepingCapacity: true)
            return jobs
        }
    }

    /// One batch per turn on the writer queue, then back in line: other writers of this database
    /// (the event handlers) are not starved by a steady stream of grouped writes.
    private func drain() {
        pool.asyncWriteWithoutTransaction { db in
            let jobs = self.nextJobs()
            var results: [Result<Any, Error>] = []
            do {
                try db.transaction(immediate: true) {
                    results = jobs.map { job in Result { try db.savepoint { try job.work(db) } } }
                }
            } catch {
                // Nothing was written. A job that had failed keeps its own error (the cause, when
                // it was the one that ended the transaction); the others get the transaction's.
                results = results.isEmpty ? jobs.map { _ in .failure(error) }
                    : results.map { result in if case .failure = result { result } else { .failure(error) } }
            }
            for (job, result) in zip(jobs, results) { job.finish(result) }
            let more: Bool = self.lock.withLock {
                if self.queued.isEmpty { self.draining = false }
                return self.draining
            }
            if more { self.drain() }
        }
    }
}
