import Foundation
import Logging
import OrderPayServices

/// Keeps this instance's charges claimed while they are with the provider, and takes over the
/// charges of instances that died mid-charge once their claims ran out
/// (`PaymentService.resumeInterruptedCharges`): a surviving instance finishes them, not only the
/// next one to start. Two loops, so a slow take-over charge does not hold up the renewals.
final class ChargeSweeper: FlowWorker, @unchecked Sendable {
    let payments: PaymentService
    let logger: Logger

    init(payments: PaymentService, logger: Logger) {
        self.payments = payments; self.logger = logger
    }

    func run() async {
        // A third of the lease: a renewal may fail twice (a database blip) before the claim runs out.
        let pause = payments.claimLease / 3
        let payments = self.payments, logger = self.logger
        /// `step` every `pause` until cancelled; a failure is logged and the next turn tries again.
        @Sendable func every(_ failure: String, _ step: @escaping @Sendable () async throws -> Void) async {
            while !Task.isCancelled {
                try? await Task.sleep(for: pause)
                if Task.isCancelled { break }
                do { try await step() } catch { logger.warning("\(failure); retrying", metadata: ["error": "\(error)"]) }
            }
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await every("renewing payment claims failed") { try await payments.renewClaims() } }
            group.addTask { await every("taking over interrupted charges failed") { try await payments.resumeInterruptedCharges() } }
        }
        // In a task of its own, as this one is cancelled.
        await Task { try? await payments.releaseClaims() }.value
    }

    /// The charges it takes over show up in the outbox and the consumers; nothing of its own to wait for.
    func isIdle() async throws -> Bool { true }
}
