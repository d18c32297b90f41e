import Foundation

/// UUID version 7 (RFC 9562): a millisecond timestamp followed by random bits. Ids made later sort
/// later, so the unique indexes on event ids and order numbers grow at their right edge instead of
/// dirtying a random B-tree page per insert (which showed up as write volume in profiles).
public enum TimeOrderedID {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    public static func make(at date: Date = Date()) -> String {
        var random = SystemRandomNumberGenerator()
        let millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        let tail: UInt64 = random.next()
        let bits: UInt16 = random.next()
        let high = (millis << 16) | 0x7000 | UInt64(bits & 0x0FFF)   // 48-bit time, version 7, 12 random bits
        let low = (tail & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000               // RFC 4122 variant, 62 random bits
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (index, shift) in stride(from: 60, through: 0, by: -4).enumerated() {
            if index == 8 || index == 12 { text.append(UInt8(ascii: "-")) }
            text.append(hexDigits[Int((high >> UInt64(shift)) & 0xF)])
        }
        for (index, shift) in stride(from: 60, through: 0, by: -4).enumerated() {
            if index == 0 || index == 4 { text.append(UInt8(ascii: "-")) }
            text.append(hexDigits[Int((low >> UInt64(shift)) & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
