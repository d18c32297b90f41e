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
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: pause)
                    if Task.isCancelled { break }
                    do { try await payments.renewClaims() } catch {
                        logger.warning("renewing payment claims failed; retrying", metadata: ["error": "\(error)"])
                    }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: pause)
                    if Task.isCancelled { break }
                    do { try await payments.resumeInterruptedCharges() } catch {
                        logger.warning("taking over interrupted charges failed; retrying", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
        // In a task of its own, as this one is cancelled.
        await Task { try? await payments.releaseClaims() }.value
    }

    /// The charges it takes over show up in the outbox and the consumers; nothing of its own to wait for.
    func isIdle() async throws -> Bool { true }
}
