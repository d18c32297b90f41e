@testable import OrderPayHTTP
import XCTest

/// The request histogram, through `recordRequest` and `render` only: cumulative buckets, and
/// counting that goes on after a page was rendered from a copy of the histograms.
final class MetricsRegistryTests: XCTestCase {
    func testBucketsAreCumulativeAndTheSumAndCountAddUp() async {
        let metrics = MetricsRegistry()
        for seconds in [0.002, 0.02, 3.0] {
            metrics.recordRequest(method: "GET", route: "/api/orders/{id}", status: 200, seconds: seconds)
        }
        metrics.recordRequest(method: "POST", route: "/api/orders", status: 201, seconds: 0.5)
        let text = await metrics.render(gauges: [])
        let labels = #"method="GET",route="/api/orders/{id}",status="200""#
        for (bound, count) in [("0.001", 0), ("0.0025", 1), ("0.01", 1), ("0.025", 2), ("2.5", 2), ("5", 3), ("10", 3), ("+Inf", 3)] {
            XCTAssertTrue(text.contains("http_request_duration_seconds_bucket{\(labels),le=\"\(bound)\"} \(count)\n"), "le=\(bound) should be \(count) in\n\(text)")
        }
        XCTAssertTrue(text.contains("http_request_duration_seconds_sum{\(labels)} 3.022\n"), text)
        XCTAssertTrue(text.contains("http_requests_total{\(labels)} 3\n"), text)
        XCTAssertTrue(text.contains(#"http_requests_total{method="POST",route="/api/orders",status="201"} 1"# + "\n"), text)
    }

    func testRequestsAfterARenderKeepCounting() async {
        let metrics = MetricsRegistry()
        metrics.recordRequest(method: "GET", route: "/health", status: 200, seconds: 0.001)
        let first = await metrics.render(gauges: [])
        metrics.recordRequest(method: "GET", route: "/health", status: 200, seconds: 0.001)
        let second = await metrics.render(gauges: [])
        let bucket = #"http_request_duration_seconds_bucket{method="GET",route="/health",status="200",le="0.001"}"#
        XCTAssertTrue(first.contains(bucket + " 1\n"), first)
        XCTAssertTrue(second.contains(bucket + " 2\n"), second)
    }

    /// Gauges that read the database (orders and payments by status, consumer lag) waited 5 s each
    /// with PostgreSQL down, one after another: /metrics took 10 s on the order service, a scrape
    /// timed out, and the request counters were lost with it just when they mattered. Each gauge
    /// now gets 2 s, all at once; one that has not answered is named as unavailable.
    func testGaugesThatHangCostTwoSecondsInAllAndAreNamed() async {
        let metrics = MetricsRegistry()
        metrics.recordRequest(method: "GET", route: "/health", status: 200, seconds: 0.0005)
        let stuck = { (name: String) in
            MetricGauge(name: name, help: "stuck") {
                // Not cancellable, as a store waiting for its server is not.
                await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                    DispatchQueue.global().asyncAfter(deadline: .now() + 6) { done.resume() }
                }
                return []
            }
        }
        let fine = MetricGauge(name: "orderpay_fine", help: "fine") { [MetricGauge.Sample(value: 3)] }
        let started = ContinuousClock.now
        let text = await metrics.render(gauges: [stuck("orderpay_orders"), fine, stuck("orderpay_payments")])
        let took = ContinuousClock.now - started
        XCTAssertLessThan(took, .seconds(4), "render took \(took)")
        XCTAssertTrue(text.contains("# orderpay_orders unavailable: no answer within 2"), text)
        XCTAssertTrue(text.contains("# orderpay_payments unavailable: no answer within 2"), text)
        XCTAssertTrue(text.contains("orderpay_fine 3\n"), text)
        XCTAssertTrue(text.contains(#"http_requests_total{method="GET",route="/health",status="200"} 1"#), text)
    }
}
