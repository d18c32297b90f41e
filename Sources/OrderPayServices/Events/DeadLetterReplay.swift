import Foundation

/// A request to hand a dead letter to its consumer group again, with what a process that does
/// not run that group needs to pass it on to one that does.
public struct DeadLetterReplayRequest: Sendable, Equatable {
    public var id: Int64
    /// The caller's bearer token: a handover presents it to the owning service, which checks it again.
    public var callerToken: String?
    /// Set when another process handed this replay over: the event id it saw in the letter. The
    /// receiver replays the letter itself or refuses, never hands it on again (two processes that
    /// disagree about who owns a group must not bounce it between them), and refuses a letter
    /// holding another event (the two processes read different event logs).
    public var handedOverEventId: String?

    public init(id: Int64, callerToken: String? = nil, handedOverEventId: String? = nil) {
        self.id = id; self.callerToken = callerToken; self.handedOverEventId = handedOverEventId
    }

    /// The header that carries `handedOverEventId` between services.
    public static let handoverHeader = "X-OrderPay-Replay-Event"
}

/// Replays a dead letter in a process that runs its consumer group, for a process that does not
/// (`orderpay serve orders` answers every `/api/events` request behind the gateway, but runs only
/// the order-service consumers). Throws the owner's answer when it refuses, `unavailable` when no
/// process runs the group.
public protocol DeadLetterHandover: Sendable {
    func replay(_ letter: DeadLetter, callerToken: String?) async throws -> DeadLetter
}
