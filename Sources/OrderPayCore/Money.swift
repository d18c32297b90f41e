import Foundation

/// An exact amount of money with two decimal places, stored as integer minor units (cents).
///
/// Never passes through `Double`: JSON numbers are decoded through `Decimal` (which keeps the
/// literal's digits) and encoded from it, so `19.99` stays `19.99` and 16 significant digits
/// round-trip unchanged.
public struct Money: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let scale = 2
    public static let zero = Money(minorUnits: 0)

    public let minorUnits: Int64

    public init(minorUnits: Int64) { self.minorUnits = minorUnits }

    /// Parses "19.99", "20", "0.5". Refuses more than two decimals, exponents, and overflow.
    public init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let decimal = Decimal(string: trimmed, locale: Locale(identifier: "en_US_POSIX")),
              trimmed.range(of: #"^-?[0-9]+(\.[0-9]+)?$"#, options: .regularExpression) != nil
        else { return nil }
        self.init(exactly: decimal)
    }

    /// Converts a decimal that has at most two fractional digits; nil when it would need rounding.
    public init?(exactly decimal: Decimal) {
        guard !decimal.isNaN else { return nil }
        var scaled = decimal * 100
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        guard rounded == scaled, rounded.magnitude <= Decimal(Int64.max) else { return nil }
        let digits = NSDecimalNumber(decimal: rounded).stringValue
        guard let units = Int64(digits) else { return nil }
        self.minorUnits = units
    }

    public var decimal: Decimal {
        Decimal(sign: minorUnits < 0 ? .minus : .plus,
                exponent: -Money.scale,
                significand: Decimal(minorUnits.magnitude))
    }

    /// "19.99", always with two decimals (for display and CSV).
    public var description: String {
        let sign = minorUnits < 0 ? "-" : ""
        let magnitude = minorUnits.magnitude
        let cents = magnitude % 100
        return "\(sign)\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents)"
    }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.minorUnits < rhs.minorUnits }

    public static func + (lhs: Money, rhs: Money) throws -> Money {
        let (sum, overflow) = lhs.minorUnits.addingReportingOverflow(rhs.minorUnits)
        if overflow { throw AppError.validation("amount is too large", field: "amount") }
        return Money(minorUnits: sum)
    }

    public func times(_ quantity: Int) throws -> Money {
        let (product, overflow) = minorUnits.multipliedReportingOverflow(by: Int64(quantity))
        if overflow { throw AppError.validation("amount is too large", field: "quantity") }
        return Money(minorUnits: product)
    }

    public static func sum(_ amounts: [Money]) throws -> Money {
        try amounts.reduce(Money.zero) { try $0 + $1 }
    }
}

extension Money: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        // A string such as "19.99" is accepted too, so clients that avoid JSON numbers for money work.
        if let text = try? container.decode(String.self) {
            guard let money = Money(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text.echoed)' is not an amount with at most two decimals")
            }
            self = money
            return
        }
        let decimal = try container.decode(Decimal.self)
        guard let money = Money(exactly: decimal) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(decimal.description.echoed) is not an amount with at most two decimals")
        }
        self = money
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(decimal)
    }
}
