/// The text of one member of a JSON object, exactly as it was written: for an event whose payload
/// this version cannot decode, so that what is kept (a dead letter) is the producer's own bytes,
/// not nothing. Only the top level is searched; the text is assumed to be valid JSON (it already
/// decoded as far as the envelope), and nil is returned when it is not as expected.
public enum JSONMemberText {
    public static func value(of name: String, in json: some Collection<UInt8>) -> String? {
        let bytes = Array(json)
        let quotedName = Array("\"\(name)\"".utf8)
        var index = 0
        skipSpace(bytes, &index)
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        while true {
            skipSpace(bytes, &index)
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            let keyStart = index
            guard skipString(bytes, &index) else { return nil }
            let key = bytes[keyStart..<index]
            skipSpace(bytes, &index)
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            skipSpace(bytes, &index)
            let valueStart = index
            guard skipValue(bytes, &index) else { return nil }
            // Keys with escapes are compared as written: event envelopes use plain ASCII names.
            if key.elementsEqual(quotedName) {
                return String(decoding: bytes[valueStart..<index], as: UTF8.self)
            }
            skipSpace(bytes, &index)
            guard index < bytes.count, bytes[index] == UInt8(ascii: ",") else { return nil }
            index += 1
        }
    }

    private static func skipSpace(_ bytes: [UInt8], _ index: inout Int) {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    /// From an opening quote to just past its closing one.
    private static func skipString(_ bytes: [UInt8], _ index: inout Int) -> Bool {
        index += 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""): index += 1; return true
            default: index += 1
            }
        }
        return false
    }

    /// Past one value: a string, an object or array (nesting counted, strings skipped whole), or
    /// a number or literal (up to the next delimiter).
    private static func skipValue(_ bytes: [UInt8], _ index: inout Int) -> Bool {
        guard index < bytes.count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            return skipString(bytes, &index)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    guard skipString(bytes, &index) else { return false }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { index += 1; return true }
                default: break
                }
                index += 1
            }
            return false
        default:
            let start = index
            while index < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) {
                index += 1
            }
            return index > start
        }
    }
}
