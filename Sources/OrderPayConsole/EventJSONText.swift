import Foundation
import OrderPayCore

/// An event as the detail overlay shows it: its JSON, pretty-printed, with the amounts written as
/// the exact decimals they are, with their two places ("totalAmount" : 20.00), as every pane
/// shows money. The encoder's rendering of a `Decimal` drops trailing zeros ("20", "19.9"), and
/// what a JSON library makes of a number is not always exact: here the digits come from `Money`
/// itself, never through a floating-point value.
enum EventJSONText {
    static func lines(_ envelope: EventEnvelope) -> [String] {
        guard let data = try? JSONCoding.prettyEncoder.encode(envelope) else { return ["?"] }
        let json = String(decoding: data, as: UTF8.self)
        let amounts = moneyFields(envelope.payload)
        return json.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var line = String(line)
            for (key, money) in amounts { line = replacingNumber(of: key, in: line, with: money.description) }
            return line
        }
    }

    /// The payload's money, by JSON key (an unreadable payload is shown as it was stored).
    static func moneyFields(_ payload: EventPayload) -> [(String, Money)] {
        switch payload {
        case .orderCreated(let p): [("totalAmount", p.totalAmount)]
        case .paymentProcessed(let p): [("amount", p.amount)]
        case .orderStatusUpdated, .undecodable: []
        }
    }

    /// `    "key" : 19.9,` → `    "key" : 19.90,`: the value of that member on this line, if
    /// it is a number, replaced by `text`.
    static func replacingNumber(of key: String, in line: String, with text: String) -> String {
        let prefix = "\"\(key)\" : "
        guard let start = line.range(of: prefix) else { return line }
        let rest = line[start.upperBound...]
        let number = rest.prefix { "-+.0123456789eE".contains($0) }
        guard !number.isEmpty else { return line }
        return line[..<start.upperBound] + text + rest.dropFirst(number.count)
    }
}
