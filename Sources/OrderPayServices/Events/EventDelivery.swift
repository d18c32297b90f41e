import Foundation
import Logging
import OrderPayCore

/// The delivery policy every transport's consumer shares for an event its batch failed on: retry
/// it alone with a growing pause, and after the last attempt record it as a dead letter so the
/// group moves on.
///
/// A failure that says the store or a peer is out of reach for now (an `AppError` with
/// `retryAfter`: a statement timeout, a lost connection) is not the event's fault and uses no
/// attempt: the event is tried again, at most every `maxTransientPause`, until it gets through.
/// Counted, a database stalled for half a minute turned the orders placed meanwhile into dead
/// letters, left CREATED until someone replayed them.
public enum EventDelivery {
    public static let maxTransientPause: Duration = .seconds(5)

    /// Returns false only when cancelled before the event got through (it is then neither handled
    /// nor dead-lettered, and will be delivered again).
    @discardableResult
    public static func deliverWithRetries(_ event: EventEnvelope, group: String, maxAttempts: Int,
                                          handler: @Sendable ([EventEnvelope]) async throws -> Void,
                                          deadLetters: any EventLog, logger: Logger) async -> Bool {
        var lastError = ""
        var attempt = 1
        var transientFailures = 0
        while true {
            do {
                try await handler([event])
                return true
            } catch {
                if Task.isCancelled { return false }
                lastError = "\(error)"
                let transient = isTransient(error)
                logger.warning(transient ? "handler failed; its store or a peer is out of reach, trying again" : "handler failed",
                               metadata: ["group": "\(group)", "eventId": "\(event.eventId)", "attempt": "\(attempt)", "error": "\(error)"])
                if transient {
                    transientFailures += 1
                    try? await Task.sleep(for: min(.milliseconds(20 << min(transientFailures, 10)), maxTransientPause))
                    if Task.isCancelled { return false }
                    continue
                }
                guard attempt < maxAttempts else { break }
                try? await Task.sleep(for: .milliseconds(20 << attempt))
                attempt += 1
            }
        }
        do {
            try await deadLetters.addDeadLetter(group: group, event: event, error: lastError, attempts: attempt)
            logger.error("event moved to dead letters", metadata: ["group": "\(group)", "eventId": "\(event.eventId)"])
        } catch {
            logger.error("cannot record dead letter", metadata: ["eventId": "\(event.eventId)", "error": "\(error)"])
        }
        return true
    }

    /// Out of reach for now, by the error's own account (see `AppError.retryAfter`).
    static func isTransient(_ error: Error) -> Bool {
        (error as? AppError)?.retryAfter != nil
    }
}
