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

    /// The largest whole amount 64-bit cents hold (Int64.max is 92233720368547758.07): the
    /// `maximum` /openapi.json publishes, an integer a JSON Schema validator reading numbers as
    /// doubles still compares right. Requests, sums and products stay within ± this.
    public static let largestWholeUnits = Int64.max / 100
    public static let largest = Money(minorUnits: largestWholeUnits * 100)

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
        if overflow || sum.magnitude > largest.minorUnits.magnitude { throw AppError.validation("amount is too large", field: "amount") }
        return Money(minorUnits: sum)
    }

    public func times(_ quantity: Int) throws -> Money {
        let (product, overflow) = minorUnits.multipliedReportingOverflow(by: Int64(quantity))
        if overflow || product.magnitude > Money.largest.minorUnits.magnitude { throw AppError.validation("amount is too large", field: "quantity") }
        return Money(minorUnits: product)
    }

    public static func sum(_ amounts: [Money]) throws -> Money {
        try amounts.reduce(Money.zero) { try $0 + $1 }
    }
}

extension Money: Codable {
    /// A JSON number only, as /openapi.json's Money says: a string (`"10.00"`, `" 10"`) is the
    /// wrong type, refused as a string is for an integer field. A number with more than two
    /// decimals or beyond `largest` is a field error (422, as an amount of 0 is), with one
    /// message for each, however the number is written.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if (try? container.decode(String.self)) != nil {
            throw DecodingError.typeMismatch(Money.self, .init(codingPath: decoder.codingPath,
                                                              debugDescription: "an amount is a JSON number, not a string"))
        }
        let decimal = try container.decode(Decimal.self)
        let field = Self.fieldName(decoder.codingPath)
        guard decimal.magnitude <= Money.largest.decimal else { throw Self.outOfRange(field, negative: decimal < 0) }
        guard let money = Money(exactly: decimal) else { throw Self.tooManyDecimals(field) }
        self = money
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(decimal)
    }

    /// The refusal of an amount with more than two decimals (`0.005`, `1e-400`).
    public static func tooManyDecimals(_ field: String) -> AppError {
        .validation("\(field) must have at most two decimals (whole cents)", field: field)
    }

    /// The refusal of an amount beyond what 64-bit cents hold in whole units.
    public static func outOfRange(_ field: String, negative: Bool) -> AppError {
        negative ? .validation("\(field) must be at least -\(largestWholeUnits)", field: field)
                 : .validation("\(field) must be at most \(largestWholeUnits)", field: field)
    }

    /// `items[0].price`, as the services name fields in their errors.
    static func fieldName(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
        return text.isEmpty ? "amount" : text
    }
}
