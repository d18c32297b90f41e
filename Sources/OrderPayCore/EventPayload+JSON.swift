/// The JSON text of an event payload, written field by field.
///
/// Every event a service publishes is encoded once, inside the transaction that writes it, and
/// Foundation's JSONEncoder (boxing each value, sorting the keys, going through Decimal for
/// money) was 7 % of `bench flow`'s CPU. The three payloads are small and fixed, so they are
/// written here directly, keys in sorted order, byte for byte what `JSONCoding.encoder` writes:
/// `EventPayloadJSONTests` holds the two to each other on random payloads. Decoding stays with
/// JSONDecoder; it is off the hot path (events are served from memory after they are written).
extension EventPayload {
    public func encodedJSON() -> String {
        var json = JSONObjectText()
        switch self {
        case .orderCreated(let p):
            json.field("orderId", p.orderId)
            json.field("orderNumber", p.orderNumber)
            json.field("paymentMethod", p.paymentMethod.rawValue)
            json.field("paymentToken", p.paymentToken)
            json.field("totalAmount", p.totalAmount)
            json.field("userId", p.userId)
        case .paymentProcessed(let p):
            json.field("amount", p.amount)
            json.field("attempt", Int64(p.attempt))
            json.field("failureReason", p.failureReason)
            json.field("orderId", p.orderId)
            json.field("paymentId", p.paymentId)
            json.field("status", p.status.rawValue)
        case .orderStatusUpdated(let p):
            json.field("from", p.from?.rawValue)
            json.field("orderId", p.orderId)
            json.field("reason", p.reason)
            json.field("to", p.to.rawValue)
            json.field("userId", p.userId)
        case .undecodable(let e):
            return e.json   // as it was stored
        }
        return json.finished()
    }
}

/// A flat JSON object, built in the order its fields are given (the caller keeps them sorted).
struct JSONObjectText {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]

    init() { bytes.reserveCapacity(192) }

    private mutating func key(_ name: StaticString) {
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    mutating func field(_ name: StaticString, _ value: Int64) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
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
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
