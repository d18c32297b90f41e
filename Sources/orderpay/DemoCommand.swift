import ArgumentParser
import Foundation
import OrderPayCore
import OrderPayEmbedded
import OrderPayServices

/// `orderpay demo`: seed an empty data dir, then
/// walk one order through the flow and one declined payment through a retry, printing each step.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Seed if empty, then run a demo order flow, printing each step.")
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await CLI.run(options, createsDataDirectory: true) { system in
            if try await system.auth.countUsers() == 0 {
                print("nothing in \(options.engines.databaseURL == nil ? "data dir " + options.dataDirectory : "the database") yet: seeding demo data…")
                print(try await DemoSeeder(system: system).seed().text)
            }
            let admin = cliOperator
            let fallback = try await system.auth.listUsers(actor: admin, filter: UserFilter(role: .user), page: PageRequest(size: 1)).content.first
            guard let user = try await system.auth.user(email: "minjun.kim@example.com") ?? fallback else {
                throw AppError.notFound("no user to place a demo order for")
            }
            let products = try await system.orders.products()
            guard products.count >= 2 else { throw AppError.notFound("the catalog needs two products") }
            let items = [PlaceOrderRequest.Item(productId: products[0].id, quantity: 1), .init(productId: products[1].id, quantity: 2)]

            print("\n1. \(user.name) orders \(products[0].name) ×1 and \(products[1].name) ×2 with tok_visa")
            var order = try await system.orders.place(actor: admin, forUser: user.id, PlaceOrderRequest(items: items, shippingAddress: user.address ?? "Seoul"))
            order = try await system.waitForOrder(id: order.id, actor: admin)
            print("   order \(order.id): \(order.status.rawValue), total \(order.totalAmount)")

            print("2. the same order with tok_chargeDeclined")
            var declined = try await system.orders.place(actor: admin, forUser: user.id, PlaceOrderRequest(
                items: items, shippingAddress: user.address ?? "Seoul", paymentToken: "tok_chargeDeclined"))
            declined = try await system.waitForOrder(id: declined.id, actor: admin)
            print("   order \(declined.id): \(declined.status.rawValue) (\(declined.failureReason ?? "-"))")
            let payment = try await system.payments.payment(actor: admin, orderId: declined.id)
            print("3. retry payment \(payment.id) with tok_visa")
            let retried = try await system.payments.retry(actor: admin, id: payment.id, paymentToken: "tok_visa")
            declined = try await system.waitForOrder(id: declined.id, actor: admin) { $0.status == .paid || $0.paymentAttempt >= retried.attempts }
            print("   payment \(retried.id): \(retried.status.rawValue) after \(retried.attempts) attempts; order \(declined.id): \(declined.status.rawValue)")
            print("\nhistory of order \(declined.id):")
            for h in try await system.orders.history(actor: admin, orderId: declined.id) {
                print("   \(h.from?.rawValue ?? "-") → \(h.to.rawValue)  \(h.reason ?? "")")
            }
            print("\nnext: orderpay orders list · orderpay payments list --status FAILED · orderpay events tail --follow · orderpay --help")
        }
    }
}
