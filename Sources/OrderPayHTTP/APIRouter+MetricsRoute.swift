import Hummingbird
import OrderPayCore
import OrderPayServices

/// `GET /metrics` (public): Prometheus text with the router's request metrics and the gauges given.
public func addMetricsRoute(to api: APIRouter, gauges: [MetricGauge] = []) {
    let metrics = api.metrics
    api.on(RouteDescriptor(method: .get, path: "/metrics", tag: "operations", summary: "Prometheus metrics",
                           access: .anonymous,
                           response: .text(contentType: "text/plain; version=0.0.4", description: "Prometheus text exposition format"))) { _, _ in
        .text(await metrics.render(gauges: gauges), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}

extension MetricGauge {
    /// `orderpay_orders{status="PAID"} 12`, every status present (0 when none).
    public static func ordersByStatus(_ orders: OrderService) -> MetricGauge {
        MetricGauge(name: "orderpay_orders", help: "Orders by status.") {
            let counts = try await orders.countByStatus()
            return OrderStatus.allCases.map { Sample(labels: ["status": $0.rawValue], value: Double(counts[$0] ?? 0)) }
        }
    }

    /// `orderpay_payments{status="SUCCESS"} 9`, every status present (0 when none).
    public static func paymentsByStatus(_ payments: PaymentService) -> MetricGauge {
        MetricGauge(name: "orderpay_payments", help: "Payments by status.") {
            let counts = try await payments.countByStatus()
            return PaymentStatus.allCases.map { Sample(labels: ["status": $0.rawValue], value: Double(counts[$0] ?? 0)) }
        }
    }

    /// `orderpay_registered_instances{app="ORDER-SERVICE",status="UP"} 2`: the registry's leases.
    public static func registeredInstances(_ registry: RegistryService) -> MetricGauge {
        MetricGauge(name: "orderpay_registered_instances", help: "Registered instances by app and status.") {
            let counts = Dictionary(grouping: try await registry.instances(), by: { [$0.app, $0.status.rawValue] }).mapValues(\.count)
            return counts.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { key, count in
                Sample(labels: ["app": key[0], "status": key[1]], value: Double(count))
            }
        }
    }

    /// `orderpay_consumer_lag{group="payment-service",topic="order-created"} 0`: events not yet consumed.
    public static func consumerLag(_ events: any EventLog, consumers: [(group: String, topic: Topic)]) -> MetricGauge {
        let pairs = consumers.map { ConsumerKey(group: $0.group, topic: $0.topic) }
        return MetricGauge(name: "orderpay_consumer_lag", help: "Events of a topic a consumer group has not committed yet.") {
            var samples: [Sample] = []
            for pair in pairs {
                let lag = try await events.lag(group: pair.group, topic: pair.topic)
                samples.append(Sample(labels: ["group": pair.group, "topic": pair.topic.rawValue], value: Double(lag)))
            }
            return samples
        }
    }

    /// The consumers of the standard flow: payment-service on order-created and order-status-updated,
    /// order-service on payment-processed.
    public static let standardConsumers: [(group: String, topic: Topic)] = [
        (PaymentService.consumerGroup, .orderCreated),
        (PaymentService.consumerGroup, .orderStatusUpdated),
        (OrderService.consumerGroup, .paymentProcessed),
    ]
}

private struct ConsumerKey: Sendable {
    let group: String
    let topic: Topic
}
