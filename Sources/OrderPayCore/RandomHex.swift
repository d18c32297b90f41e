import Foundation

/// Random lowercase hex for request, trace and span ids, shared by the services and the gateway.
public enum RandomHex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// `count` random bytes as hex, never all zeros (W3C trace and span ids must not be). Written
    /// into the string's own storage: these are made on every request.
    public static func string(bytes count: Int) -> String {
        while true {
            var allZero = true
            let text = String(unsafeUninitializedCapacity: count * 2) { buffer in
                var word: UInt64 = 0
                for index in 0..<count {
                    if index % 8 == 0 { word = IDRandom.shared.next() }
                    let byte = UInt8(truncatingIfNeeded: word >> (8 * UInt64(index % 8)))
                    if byte != 0 { allZero = false }
                    buffer[2 * index] = digits[Int(byte >> 4)]
                    buffer[2 * index + 1] = digits[Int(byte & 0xF)]
                }
                return count * 2
            }
            if !allZero { return text }
        }
    }

    /// 16 hex digits per random word into `text` from `offset` on, for ids built in place.
    public static func write(words: Int, into text: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        var position = offset
        for _ in 0..<words {
            var word = IDRandom.shared.next()
            for _ in 0..<8 {
                let byte = UInt8(truncatingIfNeeded: word)
                word >>= 8
                text[position] = digits[Int(byte >> 4)]
                text[position + 1] = digits[Int(byte & 0xF)]
                position += 2
            }
        }
    }
}

/// Random words for request, trace and span ids without a system call each: SplitMix64 over a
/// seed from the system generator, with fresh system randomness mixed in every 4,096 words.
/// (SystemRandomNumberGenerator makes one getrandom(2) call per 8 bytes: five per request.)
/// Ids need to be unique and unguessable enough to not collide, not secret; they are not used as
/// credentials anywhere.
public final class IDRandom: @unchecked Sendable {
    public static let shared = IDRandom()
    private let lock = NSLock()
    private var state: UInt64
    private var drawn: UInt64 = 0

    init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    public func next() -> UInt64 {
        let counter: UInt64 = lock.withLock {
            drawn &+= 1
            if drawn & 4095 == 0 {
                var system = SystemRandomNumberGenerator()
                state ^= system.next()
            }
            state &+= 0x9E37_79B9_7F4A_7C15
            return state
        }
        return SplitMix64.finalize(counter)
    }
}
