import ArgumentParser
import Foundation
import OrderPayCore
import OrderPayEmbedded
import OrderPayServices

struct OrdersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orders", abstract: "Place, list and manage orders.",
        subcommands: [Place.self, List.self, Get.self, History.self, Cancel.self, Complete.self])

    struct Place: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Place an order for a user (priced from the catalog).")
        @OptionGroup var options: GlobalOptions
        @Option(help: "The ordering user's email.") var user: String
        @Option(name: .customLong("item"), help: "PRODUCT_ID:QTY (repeatable).") var items: [String] = []
        @Option(help: "Shipping address.") var address = "1 Demo Street, Seoul"
        @Option(help: "CREDIT_CARD, DEBIT_CARD, BANK_TRANSFER or PAYPAL.") var method = "CREDIT_CARD"
        @Option(help: "Payment token (tok_visa, tok_chargeDeclined, tok_insufficientFunds, tok_processingError).") var token = "tok_visa"
        @Option(help: "Idempotency key: placing again with the same key returns the same order.") var idempotencyKey: String?
        @Flag(help: "Wait until the order is PAID or FAILED and print it; exit 7 when it FAILED.") var wait = false
        @Option(help: "Seconds --wait waits at most.") var timeout = 10

        /// Here rather than in `run`: a malformed item then gets this command's usage, not the root's.
        func validate() throws { _ = try items.map(parseItem) }

        func run() async throws {
            let parsedItems = try items.map(parseItem)
            var failure: String?
            try await CLI.run(options) { system in
                let method = try parseEnum(self.method, PaymentMethod.self, field: "method")
                guard let owner = try await system.auth.user(email: user) else { throw AppError.notFound("no user with email \(user)") }
                let request = PlaceOrderRequest(items: parsedItems, shippingAddress: address, paymentMethod: method, paymentToken: token)
                var order = try await system.orders.place(actor: cliOperator, forUser: owner.id, request, idempotencyKey: idempotencyKey)
                if wait { order = try await system.waitForOrder(id: order.id, actor: cliOperator, timeout: .seconds(timeout)) }
                try CLI.emit(order, options) { OrderText.detail(order) }
                if wait, order.status == .failed { failure = "order \(order.id) FAILED: \(order.failureReason ?? "payment failed")" }
            }
            // After the system has stopped: a script waiting on the order learns from the exit
            // code, as from any other failure, that the payment did not go through.
            if let failure { CLI.fail(failure, code: CLI.orderFailedExitCode) }
        }

        func parseItem(_ text: String) throws -> PlaceOrderRequest.Item {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let id = Int64(parts[0]), let quantity = Int(parts[1]) else {
                throw ValidationError("--item must be PRODUCT_ID:QTY, e.g. 3:2 (got '\(text)')")
            }
            return PlaceOrderRequest.Item(productId: id, quantity: quantity)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List orders, newest first.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only this status.") var status: String?
        @Option(help: "Only this user's orders (email).") var user: String?
        @Option(help: "Page number, from 0.") var page = 0
        @Option(help: "Page size (1–200).") var size = 20

        func run() async throws {
            try await CLI.run(options, workers: false) { system in
                let status = try self.status.map { try parseEnum($0, OrderStatus.self, field: "status") }
                var filter = OrderFilter(status: status)
                if let user {
                    guard let owner = try await system.auth.user(email: user) else { throw AppError.notFound("no user with email \(user)") }
                    filter.userId = owner.id
                }
                let result = try await system.orders.list(actor: cliOperator, filter: filter, page: PageRequest(page: page, size: size))
                try CLI.emit(result, options) {
                    var table = TextTable("ID", "STATUS", "TOTAL", "USER", "ITEMS", "CREATED", "REASON")
                    for o in result.content {
                        table.add(String(o.id), o.status.rawValue, o.totalAmount.description, String(o.userId),
                                  String(o.orderItems.count), o.createdAt.short, o.failureReason ?? "")
                    }
                    return table.rendered + "\npage \(result.page + 1) of \(max(result.totalPages, 1)) · \(result.totalElements) orders"
                }
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one order with its items.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Order id.") var id: Int64

        func run() async throws {
            try await CLI.run(options, workers: false) { system in
                let order = try await system.orders.order(actor: cliOperator, id: id)
                try CLI.emit(order, options) { OrderText.detail(order) }
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an order's status history.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Order id.") var id: Int64

        func run() async throws {
            try await CLI.run(options, workers: false) { system in
                let history = try await system.orders.history(actor: cliOperator, orderId: id)
                try CLI.emit(history, options) {
                    var table = TextTable("AT", "FROM", "TO", "ACTOR", "REASON")
                    for h in history { table.add(h.at.short, h.from?.rawValue ?? "-", h.to.rawValue, h.actor, h.reason ?? "") }
                    return table.rendered
                }
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel an order (CREATED, PENDING or FAILED).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Order id.") var id: Int64

        func run() async throws {
            try await CLI.run(options) { system in
                let order = try await system.orders.cancel(actor: cliOperator, id: id)
                try CLI.emit(order, options) { OrderText.detail(order) }
            }
        }
    }

    struct Complete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a PAID order COMPLETED.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Order id.") var id: Int64

        func run() async throws {
            try await CLI.run(options) { system in
                let order = try await system.orders.complete(actor: cliOperator, id: id)
                try CLI.emit(order, options) { OrderText.detail(order) }
            }
        }
    }
}

enum OrderText {
    static func detail(_ o: Order) -> String {
        var lines = ["order \(o.id)  \(o.status.rawValue)  total \(o.totalAmount)",
                     "number   \(o.orderNumber)", "user     \(o.userId)", "address  \(o.shippingAddress)",
                     "method   \(o.paymentMethod.rawValue)", "created  \(o.createdAt.short)"]
        if let reason = o.failureReason { lines.append("reason   \(reason)") }
        var table = TextTable("PRODUCT", "SKU", "QTY", "UNIT", "SUBTOTAL")
        for item in o.orderItems {
            table.add(item.productName, item.sku, String(item.quantity), item.unitPrice.description, item.subtotal.description)
        }
        return (lines + ["", table.rendered]).joined(separator: "\n")
    }
}
