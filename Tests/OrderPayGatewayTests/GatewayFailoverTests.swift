import Foundation
import NIOHTTP1
import NIOConcurrencyHelpers
import OrderPayCore
import OrderPayGateway
import OrderPayServer
import OrderPayServices
import XCTest

/// Instances coming and going under the gateway: failover, retries only where they are safe,
/// and 503 when nothing is up.
final class GatewayFailoverTests: XCTestCase {
    /// Two ORDER-SERVICE instances; one crashes (its server stops while it stays registered) as
    /// four clients keep sending GETs through the gateway, then it is stopped for good and
    /// deregisters. No client sees an error in either phase.
    func testStoppingOneOfTwoOrderInstancesCausesNoClientErrors() async throws {
        try await GatewayTestCluster.with { c in
            let token = try await c.token(c.customer)
            let order = try await c.placeOrder(token: token)
            let second = try await c.startService(.orders)
            try await c.refreshGateway()
            let listedAtStart = try await Self.listed(second, in: c)
            XCTAssertTrue(listedAtStart, "the second instance should be registered")

            let state = NIOLockedValueBox(LoopState())
            let crasher = Task {
                while state.withLockedValue({ $0.sent }) < 40 { try? await Task.sleep(for: .milliseconds(5)) }
                // Only the HTTP server: the instance still renews its lease, so the registry (and the
                // gateway) keep listing it and every other request is first sent to a dead port.
                await second.server.stop(grace: .seconds(1))
                state.withLockedValue { $0.sentWhenStopped = $0.sent }
            }
            try await Self.hammer(c, state: state, token: token, order: order)
            await crasher.value
            var result = state.withLockedValue { $0 }
            XCTAssertNotNil(result.sentWhenStopped, "the instance should have stopped while the clients ran (\(result.sent) requests)")
            XCTAssertGreaterThanOrEqual(result.sent - (result.sentWhenStopped ?? result.sent), 80)
            let listedAfterCrash = try await Self.listed(second, in: c)
            XCTAssertTrue(listedAfterCrash, "the crashed instance should still be registered")

            // Phase two: a clean stop deregisters it, again under load.
            state.withLockedValue { $0 = LoopState() }
            let stopper = Task {
                while state.withLockedValue({ $0.sent }) < 20 { try? await Task.sleep(for: .milliseconds(5)) }
                await c.stopService(second)
                state.withLockedValue { $0.sentWhenStopped = $0.sent }
            }
            try await Self.hammer(c, state: state, token: token, order: order)
            await stopper.value
            let second_ = state.withLockedValue { $0 }
            result.failures += second_.failures
            XCTAssertNotNil(second_.sentWhenStopped)
            XCTAssertEqual(result.failures, [], "client-visible errors during failover")
            let listedAfterStop = try await Self.listed(second, in: c)
            XCTAssertFalse(listedAfterStop, "a stopped instance deregisters")
            try await c.call(.GET, "/api/orders/\(order.id)", token: token).expect(200)
        }
    }

    /// A service stopped cleanly leaves the registry first and serves on until the gateway has
    /// seen that, so POSTs (which the gateway must not retry) sent meanwhile all succeed: none
    /// goes out on a connection the stopping service is closing.
    func testACleanStopDrainsSoNoPostIsLost() async throws {
        var options = GatewayTestCluster.Options()
        options.drainDelay = options.refreshInterval * 3
        try await GatewayTestCluster.with(options) { c in
            let token = try await c.token(c.customer)
            let second = try await c.startService(.orders)
            try await c.refreshGateway()
            let body = PlaceOrderRequest(items: [.init(productId: c.keyboard.id, quantity: 1)], shippingAddress: "1 Gateway Street")
            let state = NIOLockedValueBox(LoopState())
            let stopper = Task {
                while state.withLockedValue({ $0.sent }) < 40 { try? await Task.sleep(for: .milliseconds(5)) }
                await c.stopService(second)
                state.withLockedValue { $0.sentWhenStopped = $0.sent }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        while !state.withLockedValue({ s in s.sentWhenStopped.map { s.sent - $0 >= 40 } ?? false }) {
                            let reply = try await c.call(.POST, "/api/orders", token: token, body: body)
                            state.withLockedValue { s in
                                s.sent += 1
                                if reply.status != 201 { s.failures.append("\(reply.status) \(reply.text)") }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            await stopper.value
            XCTAssertEqual(state.withLockedValue { $0.failures }, [], "orders lost while an instance stopped")
            let listed = try await Self.listed(second, in: c)
            XCTAssertFalse(listed, "a stopped instance deregisters")
        }
    }

    /// Four clients, each sending at most 600 GETs; all stop once 80 requests went through after
    /// `sentWhenStopped` was set.
    static func hammer(_ c: GatewayTestCluster, state: NIOLockedValueBox<LoopState>, token: String, order: Order) async throws {
        let paths = ["/api/orders/\(order.id)", "/api/products", "/api/orders?size=5", "/api/products/\(c.keyboard.id)"]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    for index in 0..<600 {
                        if state.withLockedValue({ s in s.sentWhenStopped.map { s.sent - $0 >= 80 } ?? false }) { break }
                        let reply = try await c.call(.GET, paths[(worker + index) % paths.count], token: token)
                        state.withLockedValue { s in
                            s.sent += 1
                            if reply.status != 200 { s.failures.append("\(reply.status) \(reply.text)") }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    static func listed(_ host: ServiceHost, in c: GatewayTestCluster) async throws -> Bool {
        let reply = try await c.call(.GET, "/eureka/apps/ORDER-SERVICE", headers: [("Accept", "application/json")], on: c.registryURL)
        return reply.text.contains("\"127.0.0.1:\(host.server.port)\"")
    }

    /// An instance that drops connections: GETs and POSTs with an Idempotency-Key are retried on
    /// the next instance; a POST without one is not (it may have been applied) and gets 502.
    /// An instance that refuses connections is skipped for every method.
    func testRetriesOnlyWhatIsSafeToRepeat() async throws {
        try await GatewayTestCluster.with { c in
            let token = try await c.token(c.customer)
            let dropper = try await DroppingUpstream.start()
            defer { Task { await dropper.stop() } }
            let registry = EurekaClient(baseURL: c.registryURL)
            // "0-…" sorts before the real instance's "127.0.0.1:…", so round-robin alternates.
            try await registry.register(app: "ORDER-SERVICE", instanceId: "0-dropper", host: "127.0.0.1", port: dropper.port)
            try await c.refreshGateway()

            for _ in 0..<6 {
                let reply = try await c.call(.GET, "/api/products", token: token)
                XCTAssertEqual(reply.status, 200, reply.text)
            }
            for index in 0..<2 {
                let placed = try await c.call(.POST, "/api/orders", token: token, body: Self.order(c),
                                              headers: [("Idempotency-Key", "retry-\(index)")])
                XCTAssertEqual(placed.status, 201, placed.text)
            }
            // The dropper now goes last for a while (it failed requests): a fresh one, so that one
            // of two POSTs starts there.
            let fresh = try await DroppingUpstream.start()
            defer { Task { await fresh.stop() } }
            try await registry.cancel(app: "ORDER-SERVICE", instanceId: "0-dropper")
            try await registry.register(app: "ORDER-SERVICE", instanceId: "0-fresh-dropper", host: "127.0.0.1", port: fresh.port)
            try await c.refreshGateway()
            var statuses: [Int] = []
            for _ in 0..<2 {
                let reply = try await c.call(.POST, "/api/orders", token: token, body: Self.order(c))
                statuses.append(reply.status)
                if reply.status == 502 { try reply.problem(502, containing: "Idempotency-Key") }
            }
            XCTAssertEqual(statuses.sorted(), [201, 502], "one of two POSTs without a key starts at the dropping instance")

            // Refusing instead of dropping: always safe to try the next one.
            try await registry.cancel(app: "ORDER-SERVICE", instanceId: "0-fresh-dropper")
            try await registry.register(app: "ORDER-SERVICE", instanceId: "0-refuser", host: "127.0.0.1",
                                        port: try await DroppingUpstream.closedPort())
            try await c.refreshGateway()
            for _ in 0..<3 {
                let reply = try await c.call(.POST, "/api/orders", token: token, body: Self.order(c))
                XCTAssertEqual(reply.status, 201, reply.text)
            }

            // When the only instance drops a GET, that is a bad gateway (502), not "no instance" (503).
            await c.stopService(c.host(.payments))
            try await registry.register(app: "PAYMENT-SERVICE", instanceId: "only-dropper", host: "127.0.0.1", port: dropper.port)
            try await c.refreshGateway()
            try await c.call(.GET, "/api/payments", token: token).problem(502, containing: "dropped the connection")
        }
    }

    func testNoInstanceUpAnswers503() async throws {
        var options = GatewayTestCluster.Options()
        options.services = [.auth]
        try await GatewayTestCluster.with(options) { c in
            let token = try await c.token(c.customer)
            try await c.call(.GET, "/api/orders", token: token).problem(503, containing: "ORDER-SERVICE")
            try await c.call(.GET, "/api/events/stream", token: token).problem(503)

            // Registered but not listening: every candidate refuses.
            let registry = EurekaClient(baseURL: c.registryURL)
            try await registry.register(app: "PAYMENT-SERVICE", instanceId: "gone", host: "127.0.0.1",
                                        port: try await DroppingUpstream.closedPort())
            try await c.refreshGateway()
            // A bound, not a measurement: a refused connection is known at once, so this must not
            // wait out a connect timeout (the gateway once retried connecting for 10 s).
            try await Reply.send(.GET, c.gatewayURL + "/api/payments/order/1", token: token, timeout: .seconds(5))
                .problem(503, containing: "refused")

            // Out of service is not a candidate either.
            try await registry.cancel(app: "PAYMENT-SERVICE", instanceId: "gone")
            let auth = c.host(.auth)
            try await registry.setStatus(app: "AUTH-SERVICE", instanceId: auth.system.instanceId, status: .outOfService)
            try await c.refreshGateway()
            try await c.call(.POST, "/api/auth/login", json: #"{"email":"kim@example.com","password":"x"}"#).problem(503)
            try await registry.setStatus(app: "AUTH-SERVICE", instanceId: auth.system.instanceId, status: .up)
            try await c.refreshGateway()
            try await c.call(.GET, "/api/users/me", token: token).expect(200)
        }
    }

    /// An instance that accepts the request and never answers: 504 once the upstream timeout
    /// passes, for idempotent requests too (another instance might hang the same way).
    func testHangingInstanceAnswers504() async throws {
        try await withHangingOrderInstance(besides: [.auth]) { c, gateway, token in
            let reply = try await c.call(.GET, "/api/products", token: token, on: gateway.baseURL)
            try reply.problem(504, containing: "ORDER-SERVICE did not answer within 0.3 s")
        }
    }

    /// An instance that failed a request goes last for a while (nginx's fail_timeout), so one that
    /// hangs costs the upstream timeout once, not on every other request.
    func testAnInstanceThatTimedOutIsTriedLastForAWhile() async throws {
        try await withHangingOrderInstance(besides: [.auth, .orders]) { c, gateway, token in
            var timedOut = 0
            for _ in 0..<8 {
                let reply = try await c.call(.GET, "/api/products", token: token, on: gateway.baseURL)
                if reply.status == 504 { timedOut += 1 } else { XCTAssertEqual(reply.status, 200, reply.text) }
            }
            // Round-robin over the two sent every other request to the silent one (4 of 8).
            XCTAssertLessThanOrEqual(timedOut, 1)
        }
    }

    /// `services` running, an ORDER-SERVICE instance that accepts requests and never answers, and
    /// a gateway with a 300 ms upstream timeout that knows of it.
    private func withHangingOrderInstance(besides services: [ServiceKind],
                                          _ body: (GatewayTestCluster, RunningGateway, String) async throws -> Void) async throws {
        var options = GatewayTestCluster.Options()
        options.services = services
        try await GatewayTestCluster.with(options) { c in
            let token = try await c.token(c.customer)
            let silent = try await DroppingUpstream.start(silent: true)
            try await EurekaClient(baseURL: c.registryURL).register(app: "ORDER-SERVICE", instanceId: "hangs", host: "127.0.0.1",
                                                                     port: silent.port)
            let impatient = try await c.startGateway(upstreamTimeout: .milliseconds(300))
            try await c.refreshGateway(impatient)
            try await body(c, impatient, token)
            await silent.stop()
        }
    }

    static func order(_ c: GatewayTestCluster) -> PlaceOrderRequest {
        PlaceOrderRequest(items: [.init(productId: c.keyboard.id, quantity: 1)], shippingAddress: "2 Retry Road")
    }
}

struct LoopState {
    var sent = 0
    var sentWhenStopped: Int?
    var failures: [String] = []
}
