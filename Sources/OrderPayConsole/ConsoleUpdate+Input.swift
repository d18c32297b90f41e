import Foundation
import OrderPayCore

extension ConsoleUpdate {
    /// Typing on the bottom line: a `/` filter applies as it is typed; a `:` command runs on Enter.
    static func handleInput(_ state: inout ConsoleState, _ key: Key) -> [Effect] {
        guard var input = state.input else { return [] }
        switch key {
        case .escape:
            state.input = nil
            if input.kind == .filter { setFilter(&state, "") }
            return []
        case .enter:
            state.input = nil
            return input.kind == .command ? runCommand(&state, input.text) : []
        case .backspace, .delete:
            if input.text.isEmpty { state.input = nil; return [] }
            input.text.removeLast()
        case .ctrl("u"): input.text = ""
        case .char(let c): input.text.append(c)
        default: return []
        }
        state.input = input
        if input.kind == .filter { setFilter(&state, input.text) }
        return []
    }

    /// `:orders status=FAILED user=kim@example.com`, `:user kim`, `:theme mono`, `:q` …
    static func runCommand(_ state: inout ConsoleState, _ line: String) -> [Effect] {
        let words = line.split(separator: " ").map(String.init)
        guard let verb = words.first?.lowercased() else { return [] }
        var options: [String: String] = [:]
        var free: [String] = []
        for word in words.dropFirst() {
            if let eq = word.firstIndex(of: "=") {
                options[word[..<eq].lowercased()] = String(word[word.index(after: eq)...])
            } else { free.append(word) }
        }
        func fail(_ message: String) -> [Effect] { toast(&state, message, error: true); return [] }
        func status<S: RawRepresentable & CaseIterable>(_ type: S.Type, _ text: String?) -> (ok: Bool, value: String?) where S.RawValue == String {
            guard let text else { return (true, nil) }
            let upper = text.uppercased().replacingOccurrences(of: "-", with: "_")
            return S(rawValue: upper) != nil ? (true, upper) : (false, nil)
        }
        switch verb {
        case "q", "q!", "quit", "exit": return quit(&state)
        case "help", "h": state.overlays.append(.help(HelpState()))
        case "refresh", "r": return refreshAll()
        case "audit": return perform(&state, .audit)
        case "dead", "deadletters", "dead-letters", "dlq": return perform(&state, .deadLetters)
        case "theme":
            guard let name = free.first else { return fail("usage: :theme NAME|PATH (default, light, mono, high-contrast, deuteranopia)") }
            return [.setTheme(name)]
        case "orders", "o":
            let (ok, value) = status(OrderStatus.self, options["status"] ?? free.first)
            guard ok else { return fail("unknown order status '\(options["status"] ?? free.first ?? "")' (\(OrderStatus.allCases.map(\.rawValue).joined(separator: ", ")))") }
            state.orders.query.status = value
            state.orders.query.text = options["user"]
            state.orders.page = 0; state.orders.cursor = 0
            return focus(&state, .orders) + [.load(.orders)]
        case "payments", "p":
            let (ok, value) = status(PaymentStatus.self, options["status"] ?? free.first)
            guard ok else { return fail("unknown payment status '\(options["status"] ?? free.first ?? "")' (\(PaymentStatus.allCases.map(\.rawValue).joined(separator: ", ")))") }
            state.payments.query.status = value
            state.payments.page = 0; state.payments.cursor = 0
            return focus(&state, .payments) + [.load(.payments)]
        case "users", "user", "u":
            let (ok, value) = status(UserStatus.self, options["status"])
            guard ok else { return fail("unknown user status '\(options["status"] ?? "")'") }
            state.users.query.status = value
            state.users.query.text = free.isEmpty ? nil : free.joined(separator: " ")
            state.users.page = 0; state.users.cursor = 0
            return focus(&state, .users) + [.load(.users)]
        case "events", "e":
            if let name = options["topic"] ?? free.first {
                guard let topic = Topic(rawValue: name) else { return fail("unknown topic '\(name)' (\(Topic.allCases.map(\.rawValue).joined(separator: ", ")))") }
                state.events.topic = topic
            } else { state.events.topic = nil }
            return focus(&state, .events)
        case "registry": return focus(&state, .registry)
        case "order", "payment":
            guard let id = free.first.flatMap(Int64.init) else { return fail("usage: :\(verb) ID") }
            let request: DetailRequest = verb == "order" ? .order(id) : .payment(id)
            state.overlays.append(.detail(DetailState(content: .loading(request.label), request: request)))
            return [.loadDetail(request)]
        default:
            return fail("unknown command ':\(verb)' (try :help)")
        }
        return []
    }
}
