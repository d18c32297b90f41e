import Foundation

/// UUID version 7 (RFC 9562): a millisecond timestamp followed by random bits. Ids made later sort
/// later, so the unique indexes on event ids and order numbers grow at their right edge instead of
/// dirtying a random B-tree page per insert (which showed up as write volume in profiles).
///
/// The random bits come from `IDRandom`, like the trace ids: an order makes five of these ids, and
/// the system generator's two getrandom(2) calls per id were 2 % of `bench flow`'s CPU. They need
/// to be unique, not secret: no id here is a credential.
public enum TimeOrderedID {
    private static let hexDigits: StaticString = "0123456789abcdef"

    public static func make(at date: Date = Date()) -> String {
        let millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        let high = (millis << 16) | 0x7000 | (IDRandom.shared.next() & 0x0FFF)                     // 48-bit time, version 7, 12 random bits
        let low = (IDRandom.shared.next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000   // RFC 4122 variant, 62 random bits
        return String(unsafeUninitializedCapacity: 36) { text in
            hexDigits.withUTF8Buffer { digits in
                var position = 0
                func put(_ word: UInt64, dashesBefore: (Int, Int)) {
                    for (index, shift) in stride(from: 60, through: 0, by: -4).enumerated() {
                        if index == dashesBefore.0 || index == dashesBefore.1 { text[position] = UInt8(ascii: "-"); position += 1 }
                        text[position] = digits[Int((word >> UInt64(shift)) & 0xF)]
                        position += 1
                    }
                }
                put(high, dashesBefore: (8, 12))
                put(low, dashesBefore: (0, 4))
                return position
            }
        }
    }
}
