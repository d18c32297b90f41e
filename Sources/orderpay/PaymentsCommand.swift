import ArgumentParser
import Foundation
import OrderPayCore
import OrderPayEmbedded
import OrderPayServices

struct PaymentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payments", abstract: "List payments, retry failed ones, refund.",
        subcommands: [List.self, Get.self, ForOrder.self, Retry.self, Refund.self, Cancel.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List payments, newest first.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only this status.") var status: String?
        @Option(help: "Page number, from 0.") var page = 0
        @Option(help: "Page size (1–200).") var size = 20

        func run() async throws {
            try await CLI.run(options, workers: false) { system in
                let status = try self.status.map { try parseEnum($0, PaymentStatus.self, field: "status") }
                let result = try await system.payments.list(actor: cliOperator, filter: PaymentFilter(status: status),
                                                            page: PageRequest(page: page, size: size))
                try CLI.emit(result, options) {
                    var table = TextTable("ID", "ORDER", "STATUS", "AMOUNT", "ATTEMPTS", "UPDATED", "REASON")
                    for p in result.content {
                        table.add(String(p.id), String(p.orderId), p.status.rawValue, p.amount.description, String(p.attempts),
                                  p.updatedAt.short, p.failureReason ?? "")
                    }
                    return table.rendered + "\npage \(result.page + 1) of \(max(result.totalPages, 1)) · \(result.totalElements) payments"
                }
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a payment and its history.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Payment id.") var id: Int64

        func run() async throws {
            try await CLI.run(options, workers: false) { system in
                let payment = try await system.payments.payment(actor: cliOperator, id: id)
                try await PaymentText.emit(payment, system, options)
            }
        }
    }

    struct ForOrder: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "for-order", abstract: "Show the payment of an order.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Order id.") var orderId: Int64

        func run() async throws {
            try await CLI.run(options, workers: false) { system in
                let payment = try await system.payments.payment(actor: cliOperator, orderId: orderId)
                try await PaymentText.emit(payment, system, options)
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Retry a FAILED payment, optionally with a new token.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Payment id.") var id: Int64
        @Option(help: "A new payment token.") var token: String?

        func run() async throws {
            try await CLI.run(options) { system in
                let payment = try await system.payments.retry(actor: cliOperator, id: id, paymentToken: token)
                try await PaymentText.emit(payment, system, options)
            }
        }
    }

    struct Refund: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Refund a successful payment; its order becomes CANCELLED.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Payment id.") var id: Int64
        @Option(help: "Why the money goes back.") var reason = "refund requested by operator"
        @Flag(help: "Only initiate (REFUND_PENDING); an admin processes it later with a plain `refund`.") var initiateOnly = false

        func run() async throws {
            try await CLI.run(options) { system in
                var payment = try await system.payments.payment(actor: cliOperator, id: id)
                if payment.status != .refundPending {
                    payment = try await system.payments.initiateRefund(actor: cliOperator, id: id, reason: reason)
                }
                if !initiateOnly { payment = try await system.payments.processRefund(actor: cliOperator, id: id) }
                try await PaymentText.emit(payment, system, options)
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a PENDING or FAILED payment.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Payment id.") var id: Int64

        func run() async throws {
            try await CLI.run(options) { system in
                let payment = try await system.payments.cancel(actor: cliOperator, id: id)
                try await PaymentText.emit(payment, system, options)
            }
        }
    }
}

enum PaymentText {
    struct Detail: Encodable {
        let payment: Payment
        let history: [PaymentHistoryEntry]
    }

    static func emit(_ payment: Payment, _ system: EmbeddedSystem, _ options: GlobalOptions) async throws {
        let history = try await system.payments.history(actor: cliOperator, paymentId: payment.id)
        try CLI.emit(Detail(payment: payment, history: history), options) {
            var lines = ["payment \(payment.id)  \(payment.status.rawValue)  amount \(payment.amount)",
                         "order     \(payment.orderId)", "attempts  \(payment.attempts)", "method    \(payment.paymentMethod.rawValue)"]
            if let reason = payment.failureReason { lines.append("reason    \(reason)") }
            if let tx = payment.transactionId { lines.append("txn       \(tx)") }
            var table = TextTable("AT", "ATTEMPT", "FROM", "TO", "ACTOR", "REASON")
            for h in history { table.add(h.at.short, String(h.attempt), h.from?.rawValue ?? "-", h.to.rawValue, h.actor, h.reason ?? "") }
            return (lines + ["", table.rendered]).joined(separator: "\n")
        }
    }
}
