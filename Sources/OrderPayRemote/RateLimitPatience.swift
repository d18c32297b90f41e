import Foundation
import OrderPayCore

/// How the remote backend meets a 429: it waits as the gateway's Retry-After asks and sends the
/// request again, saying so once (one line through `note`), for at most `budget` seconds from the
/// first 429 after the last answer that was not one. Past that, or when the gateway asks for a
/// longer wait than is left, the 429 becomes an error that says so.
///
/// Why: `--plain` and the sign-in have no pane to show a backoff in, and the first 429 ended the
/// console (exit code 6). Requests wait one by one, so a burst smaller than the six concurrent
/// order counts still gets through. The full-screen console `finish()`es it once signed in: its
/// panes back off by themselves and say so. Thread-safe: state behind a lock.
public final class RateLimitPatience: @unchecked Sendable {
    public static let defaultBudget: TimeInterval = 60

    public let budget: TimeInterval
    private let note: @Sendable (String) -> Void
    private let lock = NSLock()
    private var limitedSince: Date?
    private var noted = false
    private var finished = false

    /// `note` gets the one line said at the first wait (by default, stderr).
    public init(budget: TimeInterval = defaultBudget,
                note: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        self.budget = budget; self.note = note
    }

    /// From now on a 429 is handed back at once, as the answer it is.
    public func finish() { lock.withLock { finished = true } }

    /// An answer that was not a 429: the next 429 starts a new wait.
    func answered() { lock.withLock { limitedSince = nil } }

    private enum Decision {
        case handBack
        case giveUp(waited: TimeInterval)
        case wait(say: Bool)
    }

    /// After `refusal` (a 429): false when it is to be handed back as it is (finished); true once
    /// the wait it asked for is over; throws when that wait is past the budget.
    func waited(after refusal: AppError) async throws -> Bool {
        let now = Date()
        let seconds = max(refusal.retryAfter ?? 1, 0.1)
        let decision = lock.withLock { () -> Decision in
            guard !finished else { return .handBack }
            let since = limitedSince ?? now
            limitedSince = since
            let waited = now.timeIntervalSince(since)
            guard waited + seconds <= budget else { return .giveUp(waited: waited) }
            defer { noted = true }
            return .wait(say: !noted)
        }
        switch decision {
        case .handBack:
            return false
        case .giveUp(let waited):
            throw AppError(.rateLimited, "the gateway is still rate limiting this client after \(Self.seconds(waited.rounded(.down))) of waiting "
                           + "and asks for \(Self.seconds(seconds)) more, past the \(Self.seconds(budget)) waited at most "
                           + "(\(refusal.message)); try again later", retryAfter: refusal.retryAfter)
        case .wait(let say):
            if say {
                note("the gateway is rate limiting this client (429): waiting \(Self.seconds(seconds)) as its Retry-After asks, "
                     + "then trying again (for up to \(Self.seconds(budget)))")
            }
            try await Task.sleep(for: .seconds(seconds))
            return true
        }
    }

    static func seconds(_ value: TimeInterval) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }
}
