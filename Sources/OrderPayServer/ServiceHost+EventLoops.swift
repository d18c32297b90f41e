import Foundation
import NIOCore
import NIOPosix

extension ServiceHost {
    /// Makes NIO's event loops (one per core) Swift concurrency's global executor for
    /// `orderpay serve auth|orders|payments|registry`; process-wide and once only, so it is
    /// called first thing.
    ///
    /// Hummingbird reads a request on an event loop and runs its handler as a task. On Swift's
    /// own pool of threads every request crossed threads twice (loop to pool, pool back to loop
    /// for the response), each a wake-up of a sleeping thread. On the loops the handler runs where
    /// the request was read: in `orderpay bench http` the order service's GET took about 95 µs of
    /// CPU instead of 142, and switched threads 0.6 times a request instead of 1.75. What would
    /// hold a loop for long stays off it: bcrypt runs on Dispatch's threads (`PasswordHashing`),
    /// Kafka's blocking calls on their own queues, WAL checkpoints on their own thread.
    /// ORDERPAY_SERVICE_EXECUTOR=pool keeps Swift's pool.
    @discardableResult
    public static func runConcurrencyOnEventLoops() -> Bool {
        guard ProcessInfo.processInfo.environment["ORDERPAY_SERVICE_EXECUTOR"] != "pool" else { return false }
        return NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}
