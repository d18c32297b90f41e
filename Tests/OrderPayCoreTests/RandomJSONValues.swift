import OrderPayCore

/// Random values for the JSON encoders' differential tests.
enum RandomJSONValues {
    /// Text with what JSON has to escape (quotes, backslashes, every control character), what it
    /// must not (slashes, DEL, accents, Korean, emoji), and nothing at all.
    static let pieces = ["", "a", "\"", "\\", "/", "\u{7F}", "é", "김민준", "🙂", " ", "card declined", "\u{2028}"]
        + (0..<0x20).map { String(UnicodeScalar(UInt8($0))) }

    static func text(_ random: inout SplitMix64) -> String {
        (0..<Int.random(in: 0...6, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
    }

    static func money(_ random: inout SplitMix64) -> Money {
        let magnitudes: [ClosedRange<Int64>] = [0...0, 1...99, 100...100_000, 1_000_000_000_000...9_999_999_999_999_999, Int64.max / 2...Int64.max]
        let units = Int64.random(in: magnitudes.randomElement(using: &random)!, using: &random)
        return Money(minorUnits: Bool.random(using: &random) ? units : -units)
    }
}
