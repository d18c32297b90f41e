import Foundation
import HummingbirdTesting
import OrderPayCore
import OrderPayHTTP
import OrderPayServices
import XCTest

final class OperationsRoutesTests: XCTestCase {
    func testHealthIsUpAndDownWith503() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let health = try await client.call(.get, "/health")
            XCTAssertEqual(health.status, .ok, health.text)
            let report = try health.decode(HealthReport.self)
            XCTAssertEqual(report.status, "UP")
            XCTAssertEqual(report.checks["database"]?.status, "UP")
            XCTAssertEqual(report.checks["eventLog"]?.status, "UP")
        }
        let broken = try await HTTPTestSystem.make(health: [
            HealthCheck("database") {},
            HealthCheck("eventLog") { throw AppError(.unavailable, "event log unreachable") },
        ])
        try await broken.test { client in
            let health = try await client.call(.get, "/health")
            XCTAssertEqual(health.status, .serviceUnavailable)
            let report = try health.decode(HealthReport.self)
            XCTAssertEqual(report.status, "DOWN")
            XCTAssertEqual(report.checks["eventLog"], HealthReport.Check(status: "DOWN", error: "event log unreachable"))
            XCTAssertEqual(report.checks["database"]?.status, "UP")
        }
    }

    /// A check stuck where cancellation does not reach (a driver waiting on a dead connection)
    /// still gets its answer in time, DOWN: the health check waited for it before, and
    /// `orderpay up` would have taken the silence for a hung process.
    func testAStuckCheckThatIgnoresCancellationIsDownInTime() async throws {
        let stuck = DispatchSemaphore(value: 0)
        defer { stuck.signal() }
        let t = try await HTTPTestSystem.make(health: [
            HealthCheck("database") {},
            HealthCheck("eventLog") { await Offload.run { stuck.wait() } },
        ])
        try await t.test { client in
            let started = ContinuousClock.now
            let health = try await client.call(.get, "/health")
            XCTAssertLessThan(ContinuousClock.now - started, .seconds(10), "the answer waited for the stuck check")
            XCTAssertEqual(health.status, .serviceUnavailable)
            let report = try health.decode(HealthReport.self)
            XCTAssertEqual(report.checks["eventLog"], HealthReport.Check(status: "DOWN", error: "no answer within 2.0 seconds"))
            XCTAssertEqual(report.checks["database"]?.status, "UP")
        }
    }

    func testMetricsCountRequestsByRouteMethodAndStatus() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let customer = try await client.token(t.customer)
            for _ in 0..<3 { _ = try await client.call(.get, "/api/products", token: customer) }
            _ = try await client.call(.get, "/api/orders/\(t.keyboard.id)", token: customer)
            _ = try await client.call(.get, "/nowhere")
            let metrics = try await client.call(.get, "/metrics")
            XCTAssertEqual(metrics.status, .ok)
            XCTAssertTrue(metrics.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = metrics.text
            for line in [
                #"http_requests_total{method="GET",route="/api/products",status="200"} 3"#,
                #"http_requests_total{method="GET",route="/api/orders/{id}",status="404"} 1"#,
                #"http_requests_total{method="POST",route="/api/auth/login",status="200"} 1"#,
                #"http_requests_total{method="GET",route="NotFound",status="404"} 1"#,
                #"http_request_duration_seconds_count{method="GET",route="/api/products",status="200"} 3"#,
                #"http_request_duration_seconds_bucket{method="GET",route="/api/products",status="200",le="+Inf"} 3"#,
                "# TYPE http_request_duration_seconds histogram",
                #"orderpay_orders{status="PAID"} 0"#,
                #"orderpay_payments{status="SUCCESS"} 0"#,
                #"orderpay_consumer_lag{group="payment-service",topic="order-created"} 0"#,
            ] {
                XCTAssertTrue(text.contains(line + "\n"), "missing '\(line)' in\n\(text)")
            }
        }
    }

    func testRequestIdAndTraceparentAreEchoedOrGenerated() async throws {
        let t = try await HTTPTestSystem.make()
        try await t.test { client in
            let given = try await client.call(.get, "/health", headers: [.requestID: "req-123.abc"])
            XCTAssertEqual(given.headers[.requestID], "req-123.abc")
            let generated = try await client.call(.get, "/health")
            XCTAssertEqual(generated.headers[.requestID]?.count, 36)
            let hostile = try await client.call(.get, "/health", headers: [.requestID: "evil\" id"])
            XCTAssertNotEqual(hostile.headers[.requestID], "evil\" id")

            let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
            let traced = try await client.call(.get, "/health", headers: [.traceparent: traceparent])
            XCTAssertEqual(traced.headers[.traceparent], traceparent)
            let fresh = try XCTUnwrap(generated.headers[.traceparent])
            XCTAssertNotNil(TraceContext.parse(fresh), fresh)
            let invalid = try await client.call(.get, "/health", headers: [.traceparent: "00-zz-yy-01"])
            XCTAssertNotEqual(invalid.headers[.traceparent], "00-zz-yy-01")

            // Errors carry them too.
            let missing = try await client.call(.get, "/nowhere", headers: [.requestID: "lost-1"])
            try missing.problem(404)
            XCTAssertEqual(missing.headers[.requestID], "lost-1")
            XCTAssertNotNil(missing.headers[.traceparent])

            // A path that exists under other methods: 405 naming them, not "no route".
            let allow = HeaderName("Allow")!
            let wrongMethod = try await client.call(.delete, "/api/orders/1")
            try wrongMethod.problem(405, containing: "allowed: GET")
            XCTAssertEqual(wrongMethod.headers[allow], "GET, HEAD")
            let cancel = try await client.call(.get, "/api/orders/1/cancel")
            XCTAssertEqual(cancel.headers[allow], "POST")
            try await client.call(.delete, "/api/orders/1/nowhere").problem(404)
            // PUT is served on /api/users/{id}, but the router gives /api/users/me to the GET route
            // alone, and the 405 says so: Allow names GET (and HEAD) only, for OPTIONS too.
            let putMe = try await client.call(.put, "/api/users/me")
            try putMe.problem(405, containing: "allowed: GET")
            XCTAssertEqual(putMe.headers[allow], "GET, HEAD")
            let optionsMe = try await client.call(.options, "/api/users/me")
            XCTAssertEqual(optionsMe.headers[allow], "GET, HEAD")
            // A literal segment does not hide a capture the path does not take: /api/users/7 is PUT too.
            let postUser = try await client.call(.post, "/api/users/7")
            XCTAssertEqual(postUser.headers[allow], "GET, HEAD, PUT, DELETE")
        }
    }

    func testTraceContextParsing() {
        XCTAssertNil(TraceContext.parse("00-00000000000000000000000000000000-b7ad6b7169203331-01"))
        XCTAssertNil(TraceContext.parse("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01"))
        XCTAssertNil(TraceContext.parse("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
        XCTAssertNil(TraceContext.parse("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"))
        XCTAssertNil(TraceContext.parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra"), "version 00 has four fields")
        XCTAssertNil(TraceContext.parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1"))
        XCTAssertNil(TraceContext.parse("00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
        XCTAssertNil(TraceContext.parse("0g-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
        XCTAssertNil(TraceContext.parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0é"))
        XCTAssertNil(TraceContext.parse(""))
        // A later version may add fields; surrounding whitespace is not part of the value.
        XCTAssertEqual(TraceContext.parse("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-more")?.spanId, "b7ad6b7169203331")
        XCTAssertNil(TraceContext.parse("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x"))
        let parsed = TraceContext.parse(" \t00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 ")
        XCTAssertEqual(parsed, TraceContext(traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", flags: "01"))
        let continued = TraceContext.continuing("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        XCTAssertEqual(continued.traceId, "0af7651916cd43dd8448eb211c80319c")
        XCTAssertEqual(continued.parentSpanId, "b7ad6b7169203331")
        XCTAssertNotEqual(continued.spanId, "b7ad6b7169203331")
        XCTAssertEqual(TraceContext.generate().traceparent.count, 55)
    }
}
