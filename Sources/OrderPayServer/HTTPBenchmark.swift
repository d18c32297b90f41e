import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import OrderPayCore

/// `orderpay bench http`: starts registry, services and gateway as processes on loopback, plus
/// nginx as a reverse proxy in front of the same order service, and measures with wrk in one run:
/// GET straight to the order service, through the gateway, and through nginx; then orders POSTed
/// through the gateway until PAID.
public struct HTTPBenchmark {
    public struct Measurement: Codable, Sendable {
        public let requestsPerSecond: Double
        public let p99Ms: Double
        /// CPU per request (from /proc, over the run) of the proxy (0 for direct) and of the order
        /// service, and the share of the machine's CPU time left idle meanwhile.
        public var proxyMicrosPerRequest = 0.0
        /// The part of it in user space (the rest is the kernel's: the socket calls).
        public var proxyUserMicrosPerRequest = 0.0
        public var serviceMicrosPerRequest = 0.0
        public var idlePercent = 0.0

        init(requestsPerSecond: Double, p99Ms: Double) { self.requestsPerSecond = requestsPerSecond; self.p99Ms = p99Ms }
    }

    public struct Report: Codable, Sendable {
        public let path: String
        public let connections: Int
        public let seconds: Int
        public let rounds: Int
        /// Mean requests/s over the rounds; p99: the median round's.
        public let direct: Measurement
        public let gateway: Measurement
        public let nginx: Measurement
        public let gatewayOverDirect: Double
        public let gatewayOverNginx: Double
        /// Each round's ratio, to show how much the machine's noise moves them.
        public let gatewayOverDirectByRound: [Double]
        public let gatewayOverNginxByRound: [Double]
        public let orders: Int
        public let ordersPerSecond: Double
        public let orderP99Ms: Double

        public var text: String {
            func line(_ name: String, _ m: Measurement) -> String {
                "  \(name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(String(format: "%8.0f", m.requestsPerSecond)) req/s   p99 \(String(format: "%6.2f", m.p99Ms)) ms"
            }
            func byRound(_ ratios: [Double]) -> String { ratios.map { String(format: "%.2f", $0) }.joined(separator: " ") }
            func cpu(_ name: String, _ m: Measurement) -> String {
                let proxy = m.proxyMicrosPerRequest > 0
                    ? String(format: "%5.1f (user %4.1f)", m.proxyMicrosPerRequest, m.proxyUserMicrosPerRequest) : "    –            "
                return "    \(name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(proxy) + \(String(format: "%5.1f", m.serviceMicrosPerRequest))"
                    + "     idle \(String(format: "%4.1f", m.idlePercent)) %"
            }
            return """
                GET \(path), \(connections) connections, \(rounds) rounds of \(seconds) s each (wrk; each round in another order):
                \(line("order service", direct))
                \(line("gateway", gateway))
                \(line("nginx proxy", nginx))
                  CPU per request (µs): the proxy (its user-space part) + the order service; the machine's idle share meanwhile
                \(cpu("order service", direct))
                \(cpu("gateway", gateway))
                \(cpu("nginx proxy", nginx))
                  gateway / direct: \(String(format: "%.2f", gatewayOverDirect))  (target ≥ 0.6; by round: \(byRound(gatewayOverDirectByRound)))
                  gateway / nginx:  \(String(format: "%.2f", gatewayOverNginx))  (target ≥ 1.0; by round: \(byRound(gatewayOverNginxByRound)))
                POST /api/orders through the gateway to PAID: \(orders) orders, \(String(format: "%.0f", ordersPerSecond)) orders/s, p99 \(String(format: "%.1f", orderP99Ms)) ms
                """
        }
    }

    let executable: URL
    let connections: Int
    let seconds: Int
    let rounds: Int
    let orders: Int
    let logger: Logger

    public init(executable: URL, connections: Int = 64, seconds: Int = 5, rounds: Int = 3, orders: Int = 300, logger: Logger) {
        self.executable = executable; self.connections = connections; self.seconds = seconds; self.rounds = rounds
        self.orders = orders; self.logger = logger
    }

    public func run(progress: (String) -> Void) async throws -> Report {
        for tool in ["wrk", "nginx"] where BenchTools.locate(tool) == nil {
            throw AppError(.unavailable, "\(tool) is not installed (Debian: apt-get install wrk nginx-light)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-bench-http-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        // Children inherit this: the services log only warnings, so the three runs measure the same
        // order service. The gateway (below) keeps its default, one access-log line per request,
        // written to a file rather than the terminal, and nginx writes its access log to a file too.
        setenv("ORDERPAY_LOG_LEVEL", "warning", 1)
        // Text lines, as nginx's access log writes (and as every figure in the README was taken).
        setenv("ORDERPAY_LOG_FORMAT", "text", 1)
        progress("seeding \(directory)…")
        try BenchTools.runQuietly(executable, ["seed", "--data", directory])
        let ports = (0..<6).map { _ in BenchTools.freePort() }
        let (registry, auth, orders, payments, gateway, nginxPort) = (ports[0], ports[1], ports[2], ports[3], ports[4], ports[5])
        let registryURL = "http://127.0.0.1:\(registry)"
        func serve(_ name: String, _ port: Int, _ extra: [String] = []) -> Supervisor.Child {
            Supervisor.Child(name: name, arguments: ["serve", name, "--port", String(port), "--data", directory] + extra, port: port)
        }
        // The gateway does all its per-request work, as in production: JWT check, rate limiting
        // (a limit wrk never reaches, so every request is still checked against its bucket),
        // request id and traceparent, and its access log.
        var gatewayChild = serve("gateway", gateway, ["--registry", registryURL, "--rate-limit", "1000000", "--burst", "1000000"])
        gatewayChild.environment = ["ORDERPAY_LOG_LEVEL": "info"]
        gatewayChild.logFile = (directory as NSString).appendingPathComponent("gateway.log")
        // The supervisor stops the gateway first: the services need not wait for gateways to forget them.
        let service = ["--registry", registryURL, "--drain-seconds", "0"]
        let supervisor = Supervisor(executable: executable, children: [
            serve("registry", registry), serve("auth", auth, service), serve("orders", orders, service),
            serve("payments", payments, service), gatewayChild,
        ], host: "127.0.0.1", logger: logger)
        progress("starting registry, services and gateway…")
        try await supervisor.start()
        let nginx = try Nginx.start(directory: directory, port: nginxPort, upstreamPort: orders)
        do {
            let processes = [supervisor.processID(of: "orders"), nil, supervisor.processID(of: "gateway"), nginx.process.processIdentifier]
            let report = try await measure(gateway: gateway, orders: orders, nginx: nginxPort, processes: processes, progress: progress)
            nginx.stop()
            await supervisor.stop()
            return report
        } catch {
            nginx.stop()
            await supervisor.stop()
            throw error
        }
    }

    /// - Parameter processes: the order service's pid, then each target's proxy's (nil for none);
    ///   nginx's workers are its master's children.
    func measure(gateway: Int, orders ordersPort: Int, nginx: Int, processes: [Int32?], progress: (String) -> Void) async throws -> Report {
        let client = BenchClient(base: "http://127.0.0.1:\(gateway)")
        let token = try await client.login(email: "admin@orderpay.dev", password: "orderpay-admin")
        try await Task.sleep(for: .seconds(3))   // the gateway's directory sees every service
        let path = "/api/orders/1"
        // Whichever target runs later meets a warmer order service (and the machine's neighbours
        // come and go): each round starts with a different target, so each takes every place.
        let targets = [("order service", ordersPort), ("gateway", gateway), ("nginx", nginx)]
        var runs = [[Measurement]](repeating: [], count: targets.count)
        for round in 0..<rounds {
            for step in 0..<targets.count {
                let index = (round + step) % targets.count
                let (name, port) = targets[index]
                progress("round \(round + 1)/\(rounds): wrk → \(name)…")
                let proxy = processes[index + 1]
                let before = (MachineCPU.ticks(ofProcessAndChildren: processes[0] ?? 0),
                              proxy.map(MachineCPU.ticks(ofProcessAndChildren:)) ?? MachineCPU.Ticks(), MachineCPU.machineTicks())
                var run = try Wrk.run(url: "http://127.0.0.1:\(port)\(path)", token: token, connections: connections, seconds: seconds)
                let requests = run.requestsPerSecond * Double(seconds)
                let micros = { (ticks: Int) in Double(ticks) / MachineCPU.ticksPerSecond * 1e6 / max(requests, 1) }
                let machine = MachineCPU.machineTicks()
                run.serviceMicrosPerRequest = micros((MachineCPU.ticks(ofProcessAndChildren: processes[0] ?? 0) - before.0).total)
                if let proxy {
                    let ticks = MachineCPU.ticks(ofProcessAndChildren: proxy) - before.1
                    run.proxyMicrosPerRequest = micros(ticks.total)
                    run.proxyUserMicrosPerRequest = micros(ticks.user)
                }
                let total = machine.total - before.2.total
                run.idlePercent = total > 0 ? 100 * Double(total - (machine.busy - before.2.busy)) / Double(total) : 0
                runs[index].append(run)
            }
        }
        let (direct, viaGateway, viaNginx) = (Self.combined(runs[0]), Self.combined(runs[1]), Self.combined(runs[2]))
        func ratios(_ a: [Measurement], _ b: [Measurement]) -> [Double] { zip(a, b).map { $0.requestsPerSecond / $1.requestsPerSecond } }
        progress("placing \(orders) orders through the gateway…")
        let (rate, p99) = try await client.placeOrders(count: orders, concurrency: 16, token: token)
        return Report(path: path, connections: connections, seconds: seconds, rounds: rounds, direct: direct, gateway: viaGateway, nginx: viaNginx,
                      gatewayOverDirect: viaGateway.requestsPerSecond / direct.requestsPerSecond,
                      gatewayOverNginx: viaGateway.requestsPerSecond / viaNginx.requestsPerSecond,
                      gatewayOverDirectByRound: ratios(runs[1], runs[0]), gatewayOverNginxByRound: ratios(runs[1], runs[2]),
                      orders: orders, ordersPerSecond: rate, orderP99Ms: p99)
    }

    /// Runs of equal length: their mean throughput and CPU figures, and the median run's p99.
    static func combined(_ runs: [Measurement]) -> Measurement {
        let p99s = runs.map(\.p99Ms).sorted()
        func mean(_ value: (Measurement) -> Double) -> Double { runs.map(value).reduce(0, +) / Double(runs.count) }
        var combined = Measurement(requestsPerSecond: mean(\.requestsPerSecond), p99Ms: p99s[p99s.count / 2])
        combined.proxyMicrosPerRequest = mean(\.proxyMicrosPerRequest)
        combined.proxyUserMicrosPerRequest = mean(\.proxyUserMicrosPerRequest)
        combined.serviceMicrosPerRequest = mean(\.serviceMicrosPerRequest)
        combined.idlePercent = mean(\.idlePercent)
        return combined
    }
}
