import Foundation
import OrderPayCore

public struct ChargeRequest: Sendable, Equatable {
    /// Same key, same charge: a provider must not charge twice when a request is retried after a crash.
    public let idempotencyKey: String
    public let amount: Money
    public let paymentMethod: PaymentMethod
    public let token: String
    public let attempt: Int

    public init(idempotencyKey: String, amount: Money, paymentMethod: PaymentMethod, token: String, attempt: Int) {
        self.idempotencyKey = idempotencyKey; self.amount = amount
        self.paymentMethod = paymentMethod; self.token = token; self.attempt = attempt
    }
}

public enum ChargeResult: Sendable, Equatable {
    case approved(transactionId: String)
    case declined(reason: String)
}

/// The seam to a payment provider.
public protocol PaymentProcessor: Sendable {
    func charge(_ request: ChargeRequest) async -> ChargeResult
}

/// Behaves like a payment provider's test mode: outcomes follow from the token.
///
/// `tok_chargeDeclined` and `tok_insufficientFunds` always fail, `tok_processingError` fails only
/// the first attempt, every other well-formed token succeeds. `failureRate` adds seeded random
/// failures ("processor unavailable") for demos and benchmarks; `latency` simulates the network.
public struct SimulatedPaymentProcessor: PaymentProcessor {
    public static let tokenPattern = #"^tok_[A-Za-z0-9_]{1,64}$"#

    public let latency: Duration
    public let failureRate: Double
    public let seed: UInt64

    public init(latency: Duration = .zero, failureRate: Double = 0, seed: UInt64 = 42) {
        self.latency = latency
        self.failureRate = min(max(failureRate, 0), 1)
        self.seed = seed
    }

    /// `tokenPattern`, as `PaymentToken` checks it (the console's forms check the same).
    public static func isWellFormed(_ token: String) -> Bool { PaymentToken.isWellFormed(token) }

    public func charge(_ request: ChargeRequest) async -> ChargeResult {
        if latency > .zero { try? await Task.sleep(for: latency) }
        guard Self.isWellFormed(request.token) else { return .declined(reason: "invalid payment token") }
        switch request.token {
        case "tok_chargeDeclined": return .declined(reason: "card declined")
        case "tok_insufficientFunds": return .declined(reason: "insufficient funds")
        case "tok_processingError" where request.attempt <= 1: return .declined(reason: "processing error")
        default: break
        }
        let roll = Self.roll(seed: seed, key: request.idempotencyKey)
        if failureRate > 0 && roll < failureRate { return .declined(reason: "processor unavailable") }
        return .approved(transactionId: "sim_" + String(Self.mix(seed ^ Self.fnv1a(request.idempotencyKey)), radix: 36))
    }

    /// Deterministic in (seed, key): the same attempt always gets the same random outcome.
    static func roll(seed: UInt64, key: String) -> Double {
        Double(mix(seed &+ fnv1a(key)) >> 11) / Double(1 << 53)
    }

    static func fnv1a(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    /// SplitMix64's first word from `value`.
    static func mix(_ value: UInt64) -> UInt64 {
        var generator = SplitMix64(seed: value)
        return generator.next()
    }
}
