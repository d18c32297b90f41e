import Foundation
import OrderPayCore

/// A small thread-safe metrics store rendered as Prometheus text (exposition format 0.0.4):
/// request counts and latency histograms by route, method and status, plus gauges read on demand.
///
/// Hand-rolled rather than swift-metrics + swift-prometheus: two metric families do not justify a
/// process-wide `MetricsSystem.bootstrap`, and a registry per router keeps tests independent.
public final class MetricsRegistry: @unchecked Sendable {
    /// Upper bounds in seconds, from 1 ms to 10 s.
    public static let latencyBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct RequestKey: Hashable, Comparable {
        let route: String
        let method: String
        let status: Int

        static func < (a: RequestKey, b: RequestKey) -> Bool {
            (a.route, a.method, a.status) < (b.route, b.method, b.status)
        }

        var labels: String { #"method="\#(escape(method))",route="\#(escape(route))",status="\#(status)""# }
    }

    struct Histogram {
        var buckets = [Int](repeating: 0, count: MetricsRegistry.latencyBuckets.count)
        var count = 0
        var sum = 0.0
    }

    /// A key's histogram, changed in place under the lock: copied out of the dictionary and
    /// stored back, its bucket array was copied too, a heap allocation on every request.
    private final class HistogramCell {
        var histogram = Histogram()
    }

    private let lock = NSLock()
    private var requests: [RequestKey: HistogramCell] = [:]

    public init() {}

    /// Records a request that started at `start` (route nil: no route matched) and returns how
    /// long it took, in seconds, for a log line.
    @discardableResult
    public func recordRequest(method: String, route: String?, status: Int, since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        recordRequest(method: method, route: route ?? "NotFound", status: status, seconds: seconds)
        return seconds
    }

    public func recordRequest(method: String, route: String, status: Int, seconds: Double) {
        let key = RequestKey(route: route, method: method, status: status)
        lock.withLock {
            let cell = requests[key] ?? {
                let cell = HistogramCell()
                requests[key] = cell
                return cell
            }()
            cell.histogram.count += 1
            cell.histogram.sum += seconds
            for (index, bound) in Self.latencyBuckets.enumerated() where seconds <= bound { cell.histogram.buckets[index] += 1 }
        }
    }

    /// The request families followed by every gauge (a gauge that fails to read is reported as a
    /// comment, so one broken source does not hide the rest).
    /// How long `/metrics` waits for each gauge (they are read together).
    public var gaugeTimeout: Duration { .seconds(2) }

    public func render(gauges: [MetricGauge]) async -> String {
        let snapshot = lock.withLock { requests.map { (key: $0.key, value: $0.value.histogram) } }.sorted { $0.key < $1.key }
        var out = "# HELP http_requests_total HTTP requests handled, by route, method and status.\n"
        out += "# TYPE http_requests_total counter\n"
        for (key, histogram) in snapshot { out += "http_requests_total{\(key.labels)} \(histogram.count)\n" }
        out += "# HELP http_request_duration_seconds HTTP request latency until the response head, by route, method and status.\n"
        out += "# TYPE http_request_duration_seconds histogram\n"
        for (key, histogram) in snapshot {
            for (index, bound) in Self.latencyBuckets.enumerated() {
                out += "http_request_duration_seconds_bucket{\(key.labels),le=\"\(Self.format(bound))\"} \(histogram.buckets[index])\n"
            }
            out += "http_request_duration_seconds_bucket{\(key.labels),le=\"+Inf\"} \(histogram.count)\n"
            out += "http_request_duration_seconds_sum{\(key.labels)} \(Self.format(histogram.sum))\n"
            out += "http_request_duration_seconds_count{\(key.labels)} \(histogram.count)\n"
        }
        // All at once, each within `gaugeTimeout`: gauges read the database, and with PostgreSQL
        // down each took 5 s, one after another, so a scrape timed out and lost the request
        // counters too, just when they mattered.
        let timeout = gaugeTimeout
        let readings = await withTaskGroup(of: (Int, Result<[MetricGauge.Sample], any Error>?).self) { group in
            for (index, gauge) in gauges.enumerated() {
                group.addTask { (index, await outcome(within: timeout, of: gauge.read)) }
            }
            return await group.reduce(into: [Int: Result<[MetricGauge.Sample], any Error>?]()) { $0[$1.0] = $1.1 }
        }
        for (index, gauge) in gauges.enumerated() {
            out += "# HELP \(gauge.name) \(gauge.help)\n# TYPE \(gauge.name) gauge\n"
            switch readings[index] ?? nil {
            case .success(let samples):
                for sample in samples {
                    let labels = sample.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(escape($0.value))\"" }
                    out += "\(gauge.name)\(labels.isEmpty ? "" : "{\(labels.joined(separator: ","))}") \(Self.format(sample.value))\n"
                }
            case .failure(let error):
                out += "# \(gauge.name) unavailable: \(String(describing: error).replacingOccurrences(of: "\n", with: " "))\n"
            case nil:
                out += "# \(gauge.name) unavailable: no answer within \(timeout)\n"
            }
        }
        return out
    }

    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

/// One gauge family, read each time /metrics is scraped.
public struct MetricGauge: Sendable {
    public struct Sample: Sendable {
        public var labels: [String: String]
        public var value: Double
        public init(labels: [String: String] = [:], value: Double) { self.labels = labels; self.value = value }
    }

    public let name: String
    public let help: String
    public let read: @Sendable () async throws -> [Sample]

    /// - Parameter name: a Prometheus metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
    public init(name: String, help: String, read: @escaping @Sendable () async throws -> [Sample]) {
        self.name = name; self.help = help; self.read = read
    }
}

/// Prometheus label values escape backslash, double quote and newline.
func escape(_ value: String) -> String {
    value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        .replacingOccurrences(of: "\n", with: "\\n")
}
