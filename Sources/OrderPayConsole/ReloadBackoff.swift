import Foundation
import OrderPayCore

/// When a load that failed is tried again by itself: 2 s after the first failure, then 4, 8, up
/// to 15 s between tries, and never sooner than the server's Retry-After. A service that comes
/// back is noticed within seconds, while one that stays down costs the gateway one request per
/// pane every 15 s. Pure: time comes from `.tick`.
public struct ReloadBackoff: Sendable, Equatable {
    public static let firstDelay: TimeInterval = 2
    public static let maximumDelay: TimeInterval = 15

    /// Failures in a row since the last success.
    public private(set) var failures = 0
    /// When to load again; nil while nothing failed, when the error cannot heal by waiting, or
    /// once the retry has been asked for (its answer sets the next one).
    public private(set) var due: Date?
    /// When the retry now in flight was asked for; nil while none is. A retry of a page that
    /// timed out can take as long again (35 s), and the pane said nothing meanwhile.
    public private(set) var retryingSince: Date?

    public init() {}

    /// The line a failed pane shows under its error: when it tries again, or that it is trying.
    public func retryLine(now: Date, ellipsis: String = "…") -> String? {
        if let due { return "retrying in \(max(1, Int(due.timeIntervalSince(now).rounded(.up))))s" }
        if let since = retryingSince { return "retrying now\(ellipsis) \(max(0, Int(now.timeIntervalSince(since))))s" }
        return nil
    }

    /// Errors that waiting can cure: the gateway or a service down or overloaded, a rate limit.
    /// A refusal (403), a bad request or a missing record would fail the same way every time.
    public static func heals(_ error: AppError) -> Bool {
        switch error.kind {
        case .unavailable, .rateLimited, .internal: true
        case .validation, .notFound, .forbidden, .conflict, .unauthorized: false
        }
    }

    mutating func failed(_ error: AppError, at now: Date) {
        let delay = min(Self.maximumDelay, Self.firstDelay * pow(2, Double(failures)))
        failures += 1
        retryingSince = nil
        due = Self.heals(error) ? now.addingTimeInterval(max(delay, error.retryAfter ?? 0)) : nil
    }

    mutating func succeeded() {
        failures = 0
        due = nil
        retryingSince = nil
    }

    /// Whether the retry is due at `now`; if so it is taken, so each failure asks once.
    mutating func takeIfDue(_ now: Date) -> Bool {
        guard let due, due <= now else { return false }
        self.due = nil
        retryingSince = now
        return true
    }
}
