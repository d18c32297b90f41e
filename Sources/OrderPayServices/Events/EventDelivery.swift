import Foundation
import Logging
import OrderPayCore

/// The delivery policy every transport's consumer shares for an event its batch failed on: retry
/// it alone with a growing pause, and after the last attempt record it as a dead letter so the
/// group moves on.
public enum EventDelivery {
    /// Returns false only when cancelled before the event got through (it is then neither handled
    /// nor dead-lettered, and will be delivered again).
    @discardableResult
    public static func deliverWithRetries(_ event: EventEnvelope, group: String, maxAttempts: Int,
                                          handler: @Sendable ([EventEnvelope]) async throws -> Void,
                                          deadLetters: any EventLog, logger: Logger) async -> Bool {
        var lastError = ""
        for attempt in 1...maxAttempts {
            do {
                try await handler([event])
                return true
            } catch {
                if Task.isCancelled { return false }
                lastError = "\(error)"
                logger.warning("handler failed", metadata: ["group": "\(group)", "eventId": "\(event.eventId)",
                                                            "attempt": "\(attempt)", "error": "\(error)"])
                if attempt < maxAttempts { try? await Task.sleep(for: .milliseconds(20 << attempt)) }
            }
        }
        do {
            try await deadLetters.addDeadLetter(group: group, event: event, error: lastError, attempts: maxAttempts)
            logger.error("event moved to dead letters", metadata: ["group": "\(group)", "eventId": "\(event.eventId)"])
        } catch {
            logger.error("cannot record dead letter", metadata: ["eventId": "\(event.eventId)", "error": "\(error)"])
        }
        return true
    }
}
