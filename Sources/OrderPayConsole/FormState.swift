import OrderPayCore

/// One field of a console form.
public struct FormField: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case text(secret: Bool)
        case number(ClosedRange<Int>)
        case choice([String])
        case toggle
    }

    public var name: String
    public var label: String
    public var kind: Kind
    public var text: String
    /// The chosen option of a choice, 0/1 for a toggle.
    public var choice: Int
    public var error: String?

    public init(_ name: String, _ label: String, _ kind: Kind, text: String = "", choice: Int = 0) {
        self.name = name; self.label = label; self.kind = kind; self.text = text; self.choice = choice
    }

    public var takesText: Bool {
        switch kind { case .text, .number: true; default: false }
    }

    public var options: [String] {
        switch kind {
        case .choice(let options): options
        case .toggle: ["no", "yes"]
        default: []
        }
    }

    /// A number field's value: nil unless the text is a whole number in the field's range.
    public var number: Int? {
        guard case .number(let range) = kind, let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else { return nil }
        return value
    }

    /// What is wrong with a number field's text, shown under it as it is typed (empty is left
    /// for submitting to point out: it is what the field looks like halfway through a retype).
    public var numberError: String? {
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty, number == nil else { return nil }
        return numberRule
    }

    /// "quantity must be 1–999": what a number field takes.
    public var numberRule: String? {
        guard case .number(let range) = kind else { return nil }
        return "\(label.lowercased()) must be \(range.lowerBound)–\(range.upperBound)"
    }

    public var displayValue: String {
        switch kind {
        case .text(let secret): secret ? String(repeating: "•", count: text.count) : text
        case .number: text
        case .choice, .toggle: options.indices.contains(choice) ? options[choice] : ""
        }
    }
}

public enum FormKind: Sendable, Equatable {
    case placeOrder
    case createUser
    /// `leftOut`: marked payments the retry skips, carried to its confirm and its outcome.
    case retry([Int64], leftOut: [LeftOutPayment] = [])
    case refund(Int64)
}

/// A form on screen: its fields, which one has focus, and an error for the whole form.
public struct FormState: Sendable, Equatable {
    public var kind: FormKind
    public var title: String
    public var fields: [FormField]
    public var focus = 0
    public var error: String?
    public var submitting = false

    public init(kind: FormKind, title: String, fields: [FormField]) { self.kind = kind; self.title = title; self.fields = fields }

    public func field(_ name: String) -> FormField? { fields.first { $0.name == name } }
    public func text(_ name: String) -> String { field(name)?.text.trimmingCharacters(in: .whitespaces) ?? "" }
    public func choice(_ name: String) -> Int { field(name)?.choice ?? 0 }

    public mutating func setError(_ name: String, _ message: String?) {
        if let i = fields.firstIndex(where: { $0.name == name }) { fields[i].error = message }
    }

    public mutating func clearErrors() {
        error = nil
        for i in fields.indices { fields[i].error = nil }
    }

    public static let productLines = 4

    public static func placeOrder(users: [User], catalog: [Product]) -> FormState {
        var fields = [FormField("user", "Customer", .choice(users.map { "\($0.name) <\($0.email)>" }))]
        let products = ["—"] + catalog.map { "\($0.name) (\($0.unitPrice))" }
        for line in 1...productLines {
            fields.append(FormField("product\(line)", "Product \(line)", .choice(products), choice: line == 1 && !catalog.isEmpty ? 1 : 0))
            fields.append(FormField("quantity\(line)", "Quantity", .number(1...PlaceOrderRequest.maxQuantity), text: "1"))
        }
        let address = users.first?.address ?? ""
        fields.append(FormField("address", "Ship to", .text(secret: false), text: address))
        fields.append(FormField("method", "Method", .choice(PaymentMethod.allCases.map(\.rawValue))))
        fields.append(FormField("token", "Token", .text(secret: false), text: "tok_visa"))
        return FormState(kind: .placeOrder, title: "New order", fields: fields)
    }

    public static func createUser() -> FormState {
        FormState(kind: .createUser, title: "New user", fields: [
            FormField("email", "Email", .text(secret: false)),
            FormField("name", "Name", .text(secret: false)),
            FormField("password", "Password", .text(secret: true)),
            FormField("admin", "Admin", .toggle),
        ])
    }

    public static func retry(_ ids: [Int64], leftOut: [LeftOutPayment] = []) -> FormState {
        FormState(kind: .retry(ids, leftOut: leftOut), title: ids.count == 1 ? "Retry payment #\(ids[0])" : "Retry \(ids.count) payments", fields: [
            FormField("token", "New token (empty: same)", .text(secret: false)),
        ])
    }

    public static func refund(_ id: Int64) -> FormState {
        FormState(kind: .refund(id), title: "Refund payment #\(id)", fields: [
            FormField("reason", "Reason", .text(secret: false), text: "operator refund"),
        ])
    }
}
