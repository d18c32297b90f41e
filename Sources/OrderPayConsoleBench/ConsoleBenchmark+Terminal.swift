import Foundation
import OrderPayConsole
import OrderPayConsoleEmbedded
import OrderPayCore
import OrderPayEmbedded
import OrderPayServices
import OrderPayStore
import OrderPayTerminal

extension ConsoleBenchmark {
    /// A data dir for the benchmark: demo users and catalog, then `orders` bulk orders.
    struct DataDir {
        let system: EmbeddedSystem
        let backend: EmbeddedBackend
        let orders: Int

        static func make(at directory: String, orders: Int) async throws -> DataDir {
            var configuration = EmbeddedConfiguration(dataDirectory: directory)
            configuration.bcryptCost = 4
            configuration.startWorkers = false
            var system = try await EmbeddedSystem.start(configuration)
            let admin = Actor.system("bench")
            for i in 1...20 {
                _ = try await system.auth.createUser(actor: admin, CreateUserRequest(email: "user\(i)@example.com", password: "password-\(i)", name: "User \(i)"))
            }
            _ = try await system.orders.createProduct(actor: admin, sku: "KB-001", name: "Mechanical Keyboard", unitPrice: Money("89.90")!)
            try BenchmarkFill.orders(dataDirectory: directory, count: orders, users: 20)
            // Workers on (relays, consumers, registry heartbeats), as in the console.
            configuration.startWorkers = true
            system = try await EmbeddedSystem.start(configuration)
            return DataDir(system: system, backend: EmbeddedBackend(system: system, operatorName: "bench"), orders: orders)
        }

        func stop() async { await system.stop(drainFor: .milliseconds(100)) }
    }

    /// Paints the dashboard on a real ncurses terminal whose output is a file, and counts bytes:
    /// a full repaint against an update where one order row changed status.
    func terminalBytes(_ dir: DataDir) async throws -> (full: Int, oneRow: Int) {
        setenv("LINES", "50", 1); setenv("COLUMNS", "200", 1)
        guard let output = tmpfile() else { throw AppError(.internal, "no temporary file") }
        var fds: [Int32] = [0, 0]
        _ = pipe(&fds)
        guard let input = fdopen(fds[0], "r") else { throw AppError(.internal, "no pipe") }
        defer { fclose(output); fclose(input); close(fds[1]) }
        let terminal = NcursesTerminal(term: "xterm-256color", output: output, input: input)
        try terminal.start()
        defer { terminal.stop() }
        let theme = (try? ThemeLoader.load("default")) ?? .fallback
        var state = try await Self.dashboard(dir.backend)
        func bytes(_ paint: () -> Void) -> Int {
            fflush(output)
            let before = ftell(output)
            paint()
            fflush(output)
            return ftell(output) - before
        }
        _ = bytes { terminal.present(ConsoleView.render(state), theme: theme) }
        let full = bytes { terminal.forceFullRepaint(); terminal.present(ConsoleView.render(state), theme: theme) }
        guard let order = state.orders.rows.first else { return (full, 0) }
        // One order row changes status in place; the event pane and the counts are held as they were.
        state.orders.rows[0].status = order.status == .paid ? .completed : .paid
        let oneRow = bytes { terminal.present(ConsoleView.render(state), theme: theme) }
        return (full, oneRow)
    }

    /// The console running for `idleSeconds` on a terminal nobody types into, with the embedded
    /// services' workers idle beside it: the process's CPU time over that wall time.
    func idleCPU(_ dir: DataDir) async throws -> Double {
        guard let output = fopen("/dev/null", "w") else { throw AppError(.internal, "no /dev/null") }
        var fds: [Int32] = [0, 0]
        _ = pipe(&fds)
        guard let input = fdopen(fds[0], "r") else { throw AppError(.internal, "no pipe") }
        defer { fclose(output); fclose(input); close(fds[1]) }
        let terminal = NcursesTerminal(term: "xterm-256color", output: output, input: input)
        let runtime = ConsoleRuntime(backend: dir.backend, terminal: terminal, theme: (try? ThemeLoader.load("default")) ?? .fallback)
        let task = Task { try await runtime.run() }
        try await Task.sleep(for: .seconds(2))  // settle: first loads done
        let start = ProcessCPU.seconds(), began = Date()
        try await Task.sleep(for: .seconds(idleSeconds))
        let used = ProcessCPU.seconds() - start, wall = Date().timeIntervalSince(began)
        runtime.inject([.key(.ctrl("c"))])
        _ = try await task.value
        return used / wall * 100
    }

    /// From an order's commit to its `order-created` line on the console's screen (outbox relay,
    /// log append, stream wake-up, frame coalescing, render), in milliseconds, `samples` times.
    func eventToScreen(_ dir: DataDir, samples: Int = 30) async throws -> [Double] {
        let terminal = HeadlessTerminal(width: 200, height: 50)
        let runtime = ConsoleRuntime(backend: dir.backend, terminal: terminal, theme: .fallback)
        let task = Task { try await runtime.run() }
        try await Task.sleep(for: .seconds(1))
        let user = try await dir.system.auth.listUsers(actor: .system("bench"), filter: UserFilter(), page: PageRequest(size: 1)).content[0]
        var latencies: [Double] = []
        for _ in 0..<samples {
            let started = ContinuousClock.now
            let order = try await dir.system.orders.place(actor: .system("bench"), forUser: user.id,
                                                          PlaceOrderRequest(items: [.init(productId: 1, quantity: 1)], shippingAddress: "Seoul"))
            let deadline = started + .seconds(5)
            while !runtime.screenText.contains("order #\(order.id) created"), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(1))
            }
            latencies.append((ContinuousClock.now - started).milliseconds)
            try await Task.sleep(for: .milliseconds(60))
        }
        runtime.inject([.key(.ctrl("c"))])
        _ = try await task.value
        return latencies.sorted()
    }
}
