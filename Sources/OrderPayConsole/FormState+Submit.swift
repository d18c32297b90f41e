import OrderPayCore

/// A submitted form: its action, or the form again with its errors marked.
public enum FormOutcome: Sendable, Equatable {
    case submit(ConsoleAction)
    case invalid(FormState)
}

extension FormState {
    /// The items chosen in a new-order form, priced from the catalog (prices are the server's; this
    /// is the live preview the form shows).
    /// A chosen product whose quantity is not valid has a nil quantity: it is neither left out of
    /// the order nor counted as some other number.
    func orderLines(catalog: [Product]) -> [(product: Product, quantity: Int?)] {
        (1...FormState.productLines).compactMap { line in
            let pick = choice("product\(line)")
            guard pick > 0, pick <= catalog.count else { return nil }
            return (catalog[pick - 1], field("quantity\(line)")?.number)
        }
    }

    /// The live total of a new-order form, or nil while a chosen product's quantity is not valid.
    public func total(catalog: [Product]) -> Money? {
        let lines = orderLines(catalog: catalog)
        guard lines.allSatisfy({ $0.quantity != nil }) else { return nil }
        return try? Money.sum(lines.map { try $0.product.unitPrice.times($0.quantity ?? 0) })
    }

    /// Checks the fields and turns the form into its action, or returns the form with its errors marked.
    public func submission(users: [User], catalog: [Product]) -> FormOutcome {
        var checked = self
        checked.clearErrors()
        var action: ConsoleAction?
        switch kind {
        case .placeOrder:
            let userIndex = choice("user")
            if !users.indices.contains(userIndex) { checked.setError("user", "pick a customer") }
            for line in 1...FormState.productLines where choice("product\(line)") > 0 {
                guard let field = field("quantity\(line)"), field.number == nil else { continue }
                checked.setError(field.name, field.numberRule)
            }
            let chosen = orderLines(catalog: catalog)
            if chosen.isEmpty { checked.setError("product1", "add at least one product") }
            let lines = chosen.compactMap { line in line.quantity.map { (product: line.product, quantity: $0) } }
            if text("address").isEmpty { checked.setError("address", "a shipping address is required") }
            // Counted as the order service counts it (code points), or a form could pass an address it refuses.
            let addressLength = text("address").unicodeScalars.count
            if addressLength > ShippingAddress.maxCharacters {
                checked.setError("address", "at most \(ShippingAddress.maxCharacters) characters, not \(addressLength)")
            }
            if text("token").isEmpty { checked.setError("token", "a payment token is required (tok_visa)") } else if let error = Self.tokenError(text("token")) {
                checked.setError("token", error)
            }
            if checked.fields.allSatisfy({ $0.error == nil }), users.indices.contains(userIndex) {
                let user = users[userIndex]
                let method = PaymentMethod.allCases[min(choice("method"), PaymentMethod.allCases.count - 1)]
                let items = lines.map { PlaceOrderRequest.Item(productId: $0.product.id, quantity: $0.quantity) }
                let total = total(catalog: catalog).map { "\($0)" } ?? "?"
                let what = lines.map { "\($0.product.name) ×\($0.quantity)" }.joined(separator: ", ")
                action = .placeOrder(NewOrder(userId: user.id, items: items, shippingAddress: text("address"), paymentMethod: method,
                                              paymentToken: text("token")),
                                     summary: "\(user.email): \(what) = \(total) with \(text("token")), ship to \(text("address"))")
            }
        case .createUser:
            let email = text("email"), name = text("name"), password = field("password")?.text ?? ""
            if !email.contains("@") || email.hasPrefix("@") || email.hasSuffix("@") { checked.setError("email", "not an email address") }
            if !(2...100).contains(name.count) { checked.setError("name", "2–100 characters") }
            if password.count < 8 { checked.setError("password", "at least 8 characters") }
            if checked.fields.allSatisfy({ $0.error == nil }) {
                action = .createUser(NewUser(email: email, name: name, password: password, admin: choice("admin") == 1))
            }
        case .retry(let ids, let leftOut):
            let token = text("token")
            if let error = Self.tokenError(token) { checked.setError("token", error) } else {
                action = .retryPayments(ids, token: token.isEmpty ? nil : token, leftOut: leftOut)
            }
        case .refund(let id):
            let reason = text("reason")
            if reason.isEmpty { checked.setError("reason", "say why") } else if let error = Self.reasonError(reason) {
                checked.setError("reason", error)
            } else { action = .refundPayment(id, reason: reason) }
        }
        if let action { return .submit(action) }
        checked.focus = checked.fields.firstIndex { $0.error != nil } ?? checked.focus
        return .invalid(checked)
    }

    /// Why the payment service would refuse a typed token (empty is for each form to judge:
    /// a new order needs one, a retry keeps the old one).
    static func tokenError(_ token: String) -> String? {
        token.isEmpty || PaymentToken.isWellFormed(token) ? nil : "a token looks like \(PaymentToken.shape)"
    }

    /// Why the service would refuse a refund's reason (its own rule, so the two cannot drift).
    static func reasonError(_ reason: String) -> String? {
        do { _ = try Validator.reason(reason); return nil } catch { return (error as? AppError)?.message ?? "\(error)" }
    }

    /// Marks the fields a backend's validation error names; the rest goes to the form's own line.
    public mutating func apply(_ error: AppError) {
        submitting = false
        var unplaced: [String] = []
        for fieldError in error.fieldErrors {
            let name = Self.fieldAliases[fieldError.field] ?? fieldError.field
            if fields.contains(where: { $0.name == name }) { setError(name, fieldError.message) } else { unplaced.append(fieldError.message) }
        }
        self.error = ([error.message] + unplaced).joined(separator: "; ")
    }

    private static let fieldAliases = ["shippingAddress": "address", "paymentToken": "token", "items": "product1"]
}
