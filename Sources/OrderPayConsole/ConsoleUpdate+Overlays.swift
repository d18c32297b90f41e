import Foundation
import OrderPayCore

extension ConsoleUpdate {
    static func replaceTop(_ state: inout ConsoleState, _ overlay: Overlay) {
        state.overlays[state.overlays.count - 1] = overlay
    }

    static let enterInConfirm = "Enter does not confirm: press y to confirm, n to go back"

    static func handleConfirm(_ state: inout ConsoleState, _ confirm: ConfirmState, _ key: Key) -> [Effect] {
        switch key {
        // Not Enter: the dialog pops up under an operator still pressing Enter in a form, and an
        // Enter meant for the form would submit it without the `y` the dialog asks for.
        case .char("y"), .char("Y"):
            state.overlays.removeLast()
            if case .form(var form)? = state.topOverlay { form.submitting = true; replaceTop(&state, .form(form)) }
            if case .retryPayments = confirm.action { state.payments.markedRows = [:] }
            return [.perform(confirm.action)]
        case .char("n"), .char("N"), .escape, .char("q"):
            state.overlays.removeLast()
        case .enter:
            // Said once, however often Enter is pressed.
            if state.toasts.last?.text != enterInConfirm { toast(&state, enterInConfirm) }
        default: break
        }
        return []
    }

    static func handleForm(_ state: inout ConsoleState, _ original: FormState, _ key: Key) -> [Effect] {
        var form = original
        guard !form.submitting else {
            if key == .escape { state.overlays.removeLast() }
            return []
        }
        let count = form.fields.count
        let index = form.focus
        var field = form.fields[index]
        switch key {
        case .escape: state.overlays.removeLast(); return []
        case .tab, .down: form.focus = (form.focus + 1) % count
        case .backTab, .up: form.focus = (form.focus + count - 1) % count
        case .left, .right:
            let options = field.options.count
            if options > 0 { field.choice = (field.choice + (key == .right ? 1 : options - 1)) % options }
        case .char(" ") where field.kind == .toggle:
            field.choice = 1 - field.choice
        case .backspace, .delete:
            if field.takesText, !field.text.isEmpty { field.text.removeLast() }
            if case .number = field.kind { field.error = field.numberError }
        case .ctrl("u"):
            if field.takesText { field.text = "" }
            if case .number = field.kind { field.error = field.numberError }
        case .char(let c):
            switch field.kind {
            case .text: field.text.append(c)
            // Kept as typed, checked as typed: dropping what is not a digit turned `1.5` into 15
            // and `-3` into 3, a different valid quantity the operator never asked for.
            case .number:
                field.text.append(c)
                field.error = field.numberError
            case .choice(let options):
                // Typing jumps to the next option starting with that letter.
                let lower = String(c).lowercased()
                let order = (1...max(1, options.count)).map { (field.choice + $0) % max(1, options.count) }
                if let hit = order.first(where: { options[$0].lowercased().hasPrefix(lower) }) { field.choice = hit }
            case .toggle: if c == "y" { field.choice = 1 } else if c == "n" { field.choice = 0 }
            }
        case .enter:
            form.fields[form.focus] = field
            switch form.submission(users: state.pickerUsers, catalog: state.catalog) {
            case .submit(let action):
                // Valid now: errors from an earlier try would otherwise show behind the dialog.
                form.clearErrors()
                replaceTop(&state, .form(form))
                state.overlays.append(.confirm(ConfirmState(question: action.summary.capitalizedFirst + "?", action: action)))
            case .invalid(let marked):
                replaceTop(&state, .form(marked))
            }
            return []
        default: return []
        }
        form.fields[index] = field
        if field.name == "user", field.choice != original.fields[index].choice { changeCustomer(&form, from: original.fields[index].choice, state.pickerUsers) }
        replaceTop(&state, .form(form))
        return []
    }

    static func handleHelp(_ state: inout ConsoleState, _ original: HelpState, _ key: Key) -> [Effect] {
        var help = original
        let page = ConsoleView.helpViewport(state).height
        // Clamped here, not only when drawn, so `k` after too many `j`s moves at once.
        let last = max(0, ConsoleView.helpLines(state).count - page)
        switch key {
        case .escape, .char("?"), .enter: state.overlays.removeLast(); return []
        case .char("q"): return quit(&state)
        case .char("j"), .down: help.scroll += 1
        case .char("k"), .up: help.scroll -= 1
        case .pageDown, .ctrl("f"), .char(" "): help.scroll += max(1, page - 1)
        case .pageUp, .ctrl("b"): help.scroll -= max(1, page - 1)
        case .char("g"), .home: help.scroll = 0
        case .char("G"), .end: help.scroll = last
        default: return []
        }
        help.scroll = min(max(0, help.scroll), last)
        replaceTop(&state, .help(help))
        return []
    }

    /// Picking another customer puts their address in "Ship to" — blank when they have none, so the
    /// form asks for one rather than shipping to the previous customer's address. An address the
    /// operator typed (anything but the previous customer's own) is theirs and stays; the confirm
    /// dialog shows it.
    static func changeCustomer(_ form: inout FormState, from previous: Int, _ users: [User]) {
        guard let i = form.fields.firstIndex(where: { $0.name == "address" }), users.indices.contains(form.choice("user")) else { return }
        let filledIn = users.indices.contains(previous) ? users[previous].address ?? "" : ""
        let current = form.fields[i].text.trimmingCharacters(in: .whitespaces)
        guard current.isEmpty || current == filledIn.trimmingCharacters(in: .whitespaces) else { return }
        form.fields[i].text = users[form.choice("user")].address ?? ""
    }

    static func handleDetail(_ state: inout ConsoleState, _ original: DetailState, _ key: Key) -> [Effect] {
        var detail = original
        switch key {
        case .escape, .char("h"), .left: state.overlays.removeLast(); return []
        case .char("q"): return quit(&state)
        case .char("j"), .down: detail.scroll += 1
        case .char("k"), .up: detail.scroll = max(0, detail.scroll - 1)
        case .pageDown: detail.scroll += 10
        case .pageUp: detail.scroll = max(0, detail.scroll - 10)
        case .char("g"), .home: detail.scroll = 0
        case .char("r"):
            if state.readOnly { return refuseReadOnly(&state, .retry) }
            let payment: Payment? = switch detail.content {
            case .order(let d): d.payment
            case .payment(let d): d.payment
            default: nil
            }
            if let payment, payment.status == .failed { state.overlays.append(.form(.retry([payment.id]))) } else {
                toast(&state, "nothing to retry: the payment is not FAILED", error: true)
            }
            return []
        case .char("c"):
            if let request = detail.content.request {
                let id: String = switch request { case .order(let i), .payment(let i), .user(let i): "\(i)" }
                toast(&state, "copied \(id)")
                return [.copy(id)]
            }
            if case .event(let e) = detail.content { toast(&state, "copied \(e.envelope.eventId)"); return [.copy(e.envelope.eventId)] }
        default: return []
        }
        replaceTop(&state, .detail(detail))
        return []
    }

    static func handleAudit(_ state: inout ConsoleState, _ original: AuditState, _ key: Key) -> [Effect] {
        var audit = original
        switch key {
        case .escape, .char("A"): state.overlays.removeLast(); return []
        case .char("q"): return quit(&state)
        case .char("j"), .down: audit.scroll = min(max(0, audit.entries.count - 1), audit.scroll + 1)
        case .char("k"), .up: audit.scroll = max(0, audit.scroll - 1)
        case .char("g"), .home: audit.scroll = 0
        case .char("G"), .end: audit.scroll = max(0, audit.entries.count - 1)
        default: return []
        }
        replaceTop(&state, .audit(audit))
        return []
    }

    static func handleDeadLetters(_ state: inout ConsoleState, _ original: DeadLettersState, _ key: Key) -> [Effect] {
        var letters = original
        switch key {
        case .escape, .char("d"): state.overlays.removeLast(); return []
        case .char("q"): return quit(&state)
        case .char("j"), .down, .char("k"), .up, .char("g"), .char("G"), .home, .end:
            let action: KeyAction = [.char("j"), .down].contains(key) ? .down : [.char("k"), .up].contains(key) ? .up : [.char("g"), .home].contains(key) ? .top : .bottom
            letters.cursor = clampedStep(letters.cursor, count: letters.letters.count, action: action, page: 10)
        case .char("p"), .enter:
            if state.readOnly { return refuseReadOnly(&state, .replay) }
            guard letters.letters.indices.contains(letters.cursor) else { return [] }
            let letter = letters.letters[letters.cursor]
            guard !letter.replayed else { toast(&state, "dead letter #\(letter.id) was already replayed", error: true); return [] }
            state.overlays.append(.confirm(ConfirmState(question: "Replay dead letter #\(letter.id) (\(letter.event.topic.rawValue), order \(letter.event.key)) to \(letter.group)?",
                                                        action: .replayDeadLetter(letter.id))))
            return []
        default: return []
        }
        replaceTop(&state, .deadLetters(letters))
        return []
    }
}
