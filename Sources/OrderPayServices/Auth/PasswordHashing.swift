import Dispatch
import HummingbirdBcrypt

/// Bcrypt, run off the caller's thread. A hash or a check costs tens of milliseconds of CPU by
/// design; on the thread of an HTTP service's event loop (where `orderpay serve` runs its tasks)
/// it would hold every other connection of that loop for as long. Dispatch's global queue runs
/// it on threads of their own, at most about one per core.
enum PasswordHashing {
    static func hash(_ password: String, cost: UInt8) async -> String {
        await offloaded { Bcrypt.hash(password, cost: cost) }
    }

    static func verify(_ password: String, hash: String) async -> Bool {
        await offloaded { Bcrypt.verify(password, hash: hash) }
    }

    private static func offloaded<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
    }
}
