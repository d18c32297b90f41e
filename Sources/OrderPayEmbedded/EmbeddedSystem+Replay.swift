import Foundation
import OrderPayCore
import OrderPayServices

extension EmbeddedSystem {
    /// Hands a dead letter to its group's handler again and marks it replayed once the handler
    /// succeeded: here when this process runs the group, else through the configured handover to a
    /// process that does (never both, and a handed-over request is never handed on).
    public func replayDeadLetter(_ request: DeadLetterReplayRequest) async throws -> DeadLetter {
        let letter = try await openLetter(request.id)
        if let expected = request.handedOverEventId, expected != letter.event.eventId {
            throw AppError.conflict("dead letter \(letter.id) here holds event \(letter.event.eventId), not \(expected): "
                                    + "the process that handed it over reads another event log")
        }
        if subscriptions.contains(where: { $0.group == letter.group }) { return try await replayHere(letter) }
        let runsHere = apps.isEmpty ? "no consumers" : "only \(apps.joined(separator: ", "))"
        guard request.handedOverEventId == nil, let handover = configuration.deadLetterHandover else {
            throw AppError(.unavailable, "dead letter \(letter.id) belongs to consumer group \(letter.group), which does not run in "
                                         + "this process (\(runsHere))")
        }
        // The owner may be a newer version that reads an event this one cannot: it decides.
        return try await handover.replay(letter, callerToken: request.callerToken)
    }

    /// `replayDeadLetter` for a caller in this process (the CLI, the embedded console).
    public func replayDeadLetter(id: Int64) async throws -> DeadLetter {
        try await replayDeadLetter(DeadLetterReplayRequest(id: id))
    }

    private func openLetter(_ id: Int64) async throws -> DeadLetter {
        guard let letter = try await events.deadLetter(id: id) else { throw AppError.notFound("dead letter \(id) not found") }
        guard letter.replayedAt == nil else { throw AppError.conflict("dead letter \(id) was already replayed") }
        return letter
    }

    private func replayHere(_ letter: DeadLetter) async throws -> DeadLetter {
        let id = letter.id, event = letter.event
        if case .undecodable(let unreadable) = event.payload {
            // Not a failure of this process: handing it over cannot succeed until a version that
            // reads it runs the group, so the letter stays as it is.
            throw AppError.conflict("dead letter \(id) cannot be replayed: its event \(event.eventId) (\(unreadable.type) on "
                                    + "\(event.topic.rawValue)) cannot be read by this version (\(unreadable.reason)); it stays a "
                                    + "dead letter until a version that reads it replays it")
        }
        guard let consumer = subscriptions.first(where: { $0.group == letter.group && $0.topic == event.topic }) else {
            throw AppError.conflict("dead letter \(id) cannot be replayed: consumer group \(letter.group) does not consume "
                                    + "\(event.topic.rawValue) in this version")
        }
        // One replay of a letter at a time in this process, and none after it was marked: two
        // requests racing would otherwise both run the handler.
        guard replaysInFlight.insert(id) else { throw AppError.conflict("dead letter \(id) is being replayed right now") }
        defer { replaysInFlight.remove(id) }
        _ = try await openLetter(id)
        try await consumer.handler([event])
        try await events.markReplayed(id: id, at: configuration.clock.now())
        return try await events.deadLetter(id: id) ?? letter
    }
}

/// A set of ids shared by concurrent tasks; `insert` says whether the id was new.
final class InFlightIDs: @unchecked Sendable {
    private let lock = NSLock()
    private var ids: Set<Int64> = []

    func insert(_ id: Int64) -> Bool { lock.withLock { ids.insert(id).inserted } }
    func remove(_ id: Int64) { _ = lock.withLock { ids.remove(id) } }
}
