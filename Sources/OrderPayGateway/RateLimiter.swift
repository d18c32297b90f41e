import Foundation
import OrderPayCore

/// Token buckets per client: `rate` requests per second on average, bursts up to `burst`.
public final class RateLimiter: @unchecked Sendable {
    public let rate: Double
    public let burst: Double
    let clock: any Clock
    private let lock = NSLock()
    private var buckets: [String: (tokens: Double, at: Date)] = [:]
    private var lastSweep = Date.distantPast

    public init(rate: Double, burst: Double, clock: any Clock = SystemClock()) {
        self.rate = rate
        self.burst = max(1, burst)
        self.clock = clock
    }

    /// nil when allowed; else the seconds until a request from `key` would be.
    public func retryAfter(for key: String) -> TimeInterval? {
        let now = clock.now()
        return lock.withLock {
            sweep(now)
            // Updated in place: one hash lookup per request, not a read and then a write.
            return Self.take(from: &buckets[key, default: (burst, now)], now: now, rate: rate, burst: burst)
        }
    }

    /// Like `retryAfter(for:)`, but an allowed request takes nothing from the bucket: for a check
    /// before work whose outcome decides whether the request counts.
    public func wouldRefuse(_ key: String) -> TimeInterval? {
        let now = clock.now()
        return lock.withLock {
            guard let bucket = buckets[key] else { return nil }
            let tokens = min(burst, bucket.tokens + now.timeIntervalSince(bucket.at) * rate)
            return tokens >= 1 ? nil : (1 - tokens) / rate
        }
    }

    private static func take(from bucket: inout (tokens: Double, at: Date), now: Date, rate: Double, burst: Double) -> TimeInterval? {
        bucket.tokens = min(burst, bucket.tokens + now.timeIntervalSince(bucket.at) * rate)
        bucket.at = now
        if bucket.tokens >= 1 {
            bucket.tokens -= 1
            return nil
        }
        return (1 - bucket.tokens) / rate
    }

    /// Forgets full buckets now and then, so memory stays bounded by the clients active recently.
    private func sweep(_ now: Date) {
        guard now.timeIntervalSince(lastSweep) > 60 else { return }
        lastSweep = now
        buckets = buckets.filter { _, bucket in bucket.tokens + now.timeIntervalSince(bucket.at) * rate < burst }
    }
}
