import ArgumentParser

@main
struct OrderPay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orderpay",
        abstract: "Orders and payments, embedded on a local data dir.",
        subcommands: [ConsoleCommand.self, DemoCommand.self, SeedCommand.self, UsersCommand.self, ProductsCommand.self, OrdersCommand.self,
                      PaymentsCommand.self, EventsCommand.self, RegistryCommand.self, ServeCommand.self, UpCommand.self, BenchCommand.self],
        defaultSubcommand: ConsoleCommand.self)
}

