/// Rules that an order's input and an operator's action must meet, in one place: the services
/// enforce them, and the console checks the same ones while a form is filled in, so a form never
/// reaches its confirm dialog with what the service is bound to refuse.

/// A payment token as the payment service accepts it: `tok_` and then 1–64 ASCII letters, digits or `_`.
/// Checked byte by byte: compiling a regular expression on every call (twice per order: at
/// placement and at the charge) showed up in `bench flow` profiles.
public enum PaymentToken {
    public static let shape = "tok_… (letters, digits, _)"

    public static func isWellFormed(_ token: String) -> Bool {
        let bytes = token.utf8
        guard bytes.count > 4, bytes.count <= 4 + 64, bytes.starts(with: "tok_".utf8) else { return false }
        return bytes.dropFirst(4).allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
        }
    }
}

public enum ShippingAddress {
    /// Counted in Unicode code points (as /openapi.json's maxLength counts), after trimming.
    public static let maxCharacters = 500
}

extension PlaceOrderRequest {
    /// The most of one product an order line may ask for.
    public static let maxQuantity = 999
}

extension OrderStatus {
    /// Why an order in this status cannot be cancelled, nil when it can: a PAID order is
    /// cancelled by refunding its payment, the others as the status machine allows.
    public var cancelRefusal: String? {
        if self == .paid { return "cancel it by refunding its payment" }
        return canMove(to: .cancelled) ? nil : "it cannot go from \(rawValue) to CANCELLED"
    }
}

extension PaymentStatus {
    /// Only a payment that went through can be refunded (its order's state is checked too).
    public var isRefundable: Bool { self == .success }
}
