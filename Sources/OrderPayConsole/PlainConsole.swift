import Foundation
import OrderPayCore

/// `--plain`: the dashboard as plain lines, then one line per live event — no boxes, colours or
/// cursor movement, so a screen reader or a log file reads it top to bottom.
public struct PlainConsole {
    let backend: any Backend
    let write: @Sendable (String) -> Void

    public init(backend: any Backend, write: @escaping @Sendable (String) -> Void = { print($0); fflush(stdout) }) {
        self.backend = backend; self.write = write
    }

    /// Prints the summary, then follows the event stream until the task is cancelled or `stop` returns.
    public func run(until stop: @escaping @Sendable () async -> Void = { await Self.interrupt() }) async throws {
        for line in try await summary() { write(line) }
        write("Live events (Ctrl-C stops):")
        // The status's text, as the banner says it (interpolating the value printed its debug form).
        let stream = backend.streamEvents(backlog: 0) { [write] status in write(status.map { "Connection: \($0.text)" } ?? "Connection: restored") }
        let follow = Task {
            for await batch in stream {
                for event in batch { write("Event: " + Self.describe(event.envelope)) }
            }
        }
        await stop()
        follow.cancel()
    }

    public func summary() async throws -> [String] {
        var lines = ["OrderPay console, \(backend.modeName) mode, \(backend.endpoint), operator \(backend.operatorName)."]
        let counts = try await backend.orderCounts()
        lines.append("Orders by status: " + OrderStatus.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: ", ") + ".")
        let orders = try await backend.orders(ListQuery(page: 0, size: 5))
        lines.append("Latest \(orders.rows.count) of \(orders.total) orders:")
        for o in orders.rows {
            lines.append("  Order \(o.id), \(o.status.rawValue), total \(o.totalAmount), user \(o.userId)" + (o.failureReason.map { ", \($0)" } ?? "") + ".")
        }
        let failed = try await backend.payments(ListQuery(page: 0, size: 5, status: PaymentStatus.failed.rawValue))
        lines.append("Failed payments: \(failed.total).")
        for p in failed.rows { lines.append("  Payment \(p.id) for order \(p.orderId), \(p.amount), \(p.failureReason ?? "no reason").") }
        let instances = try await backend.registry()
        lines.append("Registry: \(instances.count) instance\(instances.count == 1 ? "" : "s").")
        for i in instances {
            lines.append("  \(i.app) \(i.instanceId) \(i.status.rawValue), heartbeat \(Int(-i.lastRenewedAt.timeIntervalSinceNow)) seconds ago.")
        }
        return lines
    }

    nonisolated(unsafe) static let timestamps = ISO8601DateFormatter()

    static func describe(_ e: EventEnvelope) -> String {
        let time = timestamps.string(from: e.occurredAt)
        return "\(time) \(e.topic.rawValue): " + ConsoleView.eventSummary(e)
    }

    /// Until SIGINT or SIGTERM.
    public static func interrupt() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = NSLock()
            nonisolated(unsafe) var resumed = false
            nonisolated(unsafe) var sources: [DispatchSourceSignal] = []
            for number in [SIGINT, SIGTERM, SIGHUP] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    let first = once.withLock { defer { resumed = true }; return !resumed }
                    guard first else { return }
                    sources.forEach { $0.cancel() }
                    continuation.resume()
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}
