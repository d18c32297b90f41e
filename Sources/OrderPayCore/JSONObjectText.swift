import Foundation

/// A JSON object, built in the order its fields are given (the caller keeps them sorted), with
/// arrays of objects nested in it.
struct JSONObjectText {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]
    /// Whether the object being written has no field yet.
    private var empty = true

    init(capacity: Int = 192) { bytes.reserveCapacity(capacity) }

    private mutating func key(_ name: StaticString) {
        if !empty { bytes.append(UInt8(ascii: ",")) }
        empty = false
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    mutating func field(_ name: StaticString, _ value: Int64) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func field(_ name: StaticString, _ value: Int) { field(name, Int64(value)) }

    /// A timestamp as `JSONCoding` writes it (ISO-8601, UTC, milliseconds).
    mutating func field(_ name: StaticString, _ value: Date) {
        key(name)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: JSONCoding.string(from: value).utf8)
        bytes.append(UInt8(ascii: "\""))
    }

    /// An array of objects, each written by `write` into an object of its own.
    mutating func field<Element>(_ name: StaticString, objects: [Element], _ write: (inout JSONObjectText, Element) -> Void) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (index, element) in objects.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "{"))
            empty = true
            write(&self, element)
            bytes.append(UInt8(ascii: "}"))
        }
        empty = false
        bytes.append(UInt8(ascii: "]"))
    }

    /// An absent value leaves the key out, as the synthesized Codable conformances do.
    mutating func field(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        appendQuoted(value)
    }

    /// Money as an exact JSON number: the decimal's shortest form ("20", "19.9", "-0.05").
    mutating func field(_ name: StaticString, _ value: Money) {
        key(name)
        if value.minorUnits < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = value.minorUnits.magnitude
        bytes.append(contentsOf: String(magnitude / 100).utf8)
        let cents = magnitude % 100
        guard cents != 0 else { return }
        bytes.append(UInt8(ascii: "."))
        bytes.append(UInt8(ascii: "0") + UInt8(cents / 10))
        if cents % 10 != 0 { bytes.append(UInt8(ascii: "0") + UInt8(cents % 10)) }
    }

    /// JSON string escaping as JSONEncoder does it with `.withoutEscapingSlashes`: quote,
    /// backslash and control characters escaped, everything else (UTF-8 included) as is.
    private mutating func appendQuoted(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case ..<0x20:
                let hex: StaticString = "0123456789abcdef"
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                hex.withUTF8Buffer { digits in
                    bytes.append(digits[Int(byte >> 4)])
                    bytes.append(digits[Int(byte & 0xF)])
                }
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// The object closed, as text (appending in place: no copy of the bytes written so far).
    mutating func finished() -> String {
        String(decoding: finishedBytes(), as: UTF8.self)
    }

    /// The object closed, as UTF-8.
    mutating func finishedBytes() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}
