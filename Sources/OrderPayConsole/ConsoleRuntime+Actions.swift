import Foundation
import OrderPayCore

extension ConsoleRuntime {
    /// Runs an operator action, writes it to the audit log (failures too), and reports the outcome.
    func perform(_ action: ConsoleAction) async -> Message {
        let result = await Self.capture { try await outcome(of: action) }
        if let audit {
            let entry: AuditEntry
            switch result {
            case .success(let text): entry = AuditEntry(at: Date(), who: backend.operatorName, mode: backend.modeName, action: action.summary, outcome: text, ok: true)
            case .failure(let error): entry = AuditEntry(at: Date(), who: backend.operatorName, mode: backend.modeName, action: action.summary,
                                                         outcome: "failed: \(error.message)", ok: false)
            }
            do { try audit.append(entry) } catch {
                // The action happened: report it as it went, so nobody repeats it, and say what the log missed.
                let warning = " (audit log \(audit.path) not written: \(error.localizedDescription))"
                return .actionFinished(action, result.map { $0 + warning }.mapError { AppError($0.kind, $0.message + warning, fieldErrors: $0.fieldErrors) })
            }
        }
        return .actionFinished(action, result)
    }

    private func outcome(of action: ConsoleAction) async throws -> String {
        switch action {
        case .placeOrder(let order, _):
            let placed = try await backend.placeOrder(order)
            return "order #\(placed.id) placed: \(placed.totalAmount), \(placed.status.rawValue)"
        case .retryPayments(let ids, let token, let leftOut):
            var done: [String] = [], failed: [String] = []
            for id in ids {
                do {
                    let payment = try await backend.retryPayment(id: id, token: token)
                    done.append("#\(payment.id) \(payment.status.rawValue)")
                } catch let error as AppError {
                    failed.append("#\(id): \(error.message)")
                }
            }
            let notRetried = leftOut.isEmpty ? "" : "; " + leftOut.named
            if done.isEmpty, !failed.isEmpty { throw AppError(.conflict, failed.joined(separator: "; ") + notRetried) }
            return "retried " + done.joined(separator: ", ") + (failed.isEmpty ? "" : "; failed " + failed.joined(separator: "; ")) + notRetried
        case .cancelOrder(let id):
            let order = try await backend.cancelOrder(id: id)
            return "order #\(order.id) \(order.status.rawValue)"
        case .completeOrder(let id):
            let order = try await backend.completeOrder(id: id)
            return "order #\(order.id) \(order.status.rawValue)"
        case .refundPayment(let id, let reason):
            let payment = try await backend.refundPayment(id: id, reason: reason)
            return "payment #\(payment.id) \(payment.status.rawValue)"
        case .replayDeadLetter(let id):
            try await backend.replayDeadLetter(id: id)
            return "dead letter #\(id) replayed"
        case .createUser(let user):
            let created = try await backend.createUser(user)
            return "user #\(created.id) \(created.email) created"
        case .setAdmin(let userId, _, let admin):
            let user = try await backend.setRoles(userId: userId, roles: admin ? [OrderPayCore.Role.user, .admin] : [OrderPayCore.Role.user])
            return "\(user.email): \(user.roles.map(\.rawValue).joined(separator: ", "))"
        case .setLocked(let userId, _, let locked):
            let user = try await backend.setLocked(userId: userId, locked: locked)
            return "\(user.email) \(user.status.rawValue)"
        }
    }

    /// The live event stream, posted to the UI thread in batches.
    func startStream() {
        let backend = self.backend, backlog = options.backlog
        let stream = backend.streamEvents(backlog: backlog) { [weak self] status in self?.post(.streamStatus(status)) }
        track { [weak self] in
            for await batch in stream {
                guard let self else { return }
                self.post(.events(batch))
            }
        }
    }

    /// Replays a keystroke script at human speed; `wait-for` watches the painted screen.
    func startScript(_ script: KeyScript) {
        let speed = max(0.01, options.speed)
        track { [weak self] in
            for step in script.steps {
                guard let self, !Task.isCancelled else { return }
                switch step {
                case .keys(let keys, _):
                    for key in keys {
                        self.inject([.key(key)])
                        try? await Task.sleep(for: .milliseconds(Int(90 / speed)))
                    }
                case .wait(let ms):
                    try? await Task.sleep(for: .milliseconds(Int(Double(ms) / speed)))
                case .waitFor(let text, let ms, let line):
                    let deadline = Date().addingTimeInterval(Double(ms) / 1000)
                    while !self.screenText.contains(text) {
                        if Date() > deadline || Task.isCancelled {
                            self.failScript("script line \(line): \"\(text)\" did not appear within \(ms) ms")
                            return
                        }
                        try? await Task.sleep(for: .milliseconds(25))
                    }
                }
            }
        }
    }
}
