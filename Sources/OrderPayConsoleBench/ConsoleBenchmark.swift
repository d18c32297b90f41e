import Foundation
import Logging
import OrderPayConsole
import OrderPayConsoleEmbedded
import OrderPayCore
import OrderPayEmbedded
import OrderPayServices
import OrderPayStore
import OrderPayTerminal

/// `orderpay bench console`: the dashboard rendered headlessly over a small and a huge data dir
/// (the ratio shows whether paging holds), the bytes a one-row change costs on a real terminal
/// against a full repaint, and the CPU the console burns while nothing happens.
public struct ConsoleBenchmark {
    public struct Frames: Codable, Sendable {
        public let orders: Int
        /// Fetching every pane's page and the counts, then rendering: what a refresh costs.
        public let refreshAndRenderMs: Double
        /// Rendering alone.
        public let renderMs: Double
    }

    public struct Report: Codable, Sendable {
        public let small: Frames
        public let large: Frames
        public let ratio: Double
        public let fullRepaintBytes: Int
        public let oneRowUpdateBytes: Int
        public let idleSeconds: Double
        public let idleCPUPercent: Double
        public let eventToScreenP50Ms: Double
        public let eventToScreenP99Ms: Double

        public var text: String {
            """
            dashboard 200×50, mean of \(ConsoleBenchmark.frames) frames:
              \(small.orders) orders:     refresh+render \(String(format: "%.3f", small.refreshAndRenderMs)) ms   render \(String(format: "%.3f", small.renderMs)) ms
              \(large.orders) orders: refresh+render \(String(format: "%.3f", large.refreshAndRenderMs)) ms   render \(String(format: "%.3f", large.renderMs)) ms
              ratio large / small: \(String(format: "%.2f", ratio))×  (target ≤ 2×)
            bytes to the terminal (xterm-256color): full repaint \(fullRepaintBytes), one-row update \(oneRowUpdateBytes) (\(String(format: "%.1f", Double(oneRowUpdateBytes) / Double(max(1, fullRepaintBytes)) * 100)) %)
            event to screen (commit → line painted, \(ConsoleBenchmark.eventSamples) orders): p50 \(String(format: "%.1f", eventToScreenP50Ms)) ms  p99 \(String(format: "%.1f", eventToScreenP99Ms)) ms  (target ≤ 100 ms)
            idle CPU over \(String(format: "%.0f", idleSeconds)) s (console, services and workers in this process): \(String(format: "%.2f", idleCPUPercent)) % of one core  (target < 1 %)
            """
        }
    }

    static let frames = 200
    static let eventSamples = 30
    let smallOrders: Int
    let largeOrders: Int
    let idleSeconds: Double

    public init(smallOrders: Int = 1_000, largeOrders: Int = 1_000_000, idleSeconds: Double = 10) {
        self.smallOrders = smallOrders; self.largeOrders = largeOrders; self.idleSeconds = idleSeconds
    }

    public func run(progress: (String) -> Void = { _ in }) async throws -> Report {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("orderpay-bench-console-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        progress("filling a data dir with \(smallOrders) orders…")
        let small = try await DataDir.make(at: root + "/small", orders: smallOrders)
        progress("filling a data dir with \(largeOrders) orders…")
        let large = try await DataDir.make(at: root + "/large", orders: largeOrders)
        progress("rendering…")
        // Warm both (caches, first statements) before timing either.
        _ = try await measureFrames(small, frames: 20); _ = try await measureFrames(large, frames: 20)
        let smallFrames = try await measureFrames(small)
        let largeFrames = try await measureFrames(large)
        progress("counting terminal bytes…")
        let (full, oneRow) = try await terminalBytes(small)
        progress("measuring idle CPU for \(Int(idleSeconds)) s…")
        let idle = try await idleCPU(small)
        progress("timing events to the screen…")
        let latencies = try await eventToScreen(small, samples: Self.eventSamples)
        func pick(_ q: Double) -> Double { latencies[min(latencies.count - 1, Int((Double(latencies.count) * q).rounded(.up)) - 1)] }
        await small.stop(); await large.stop()
        return Report(small: smallFrames, large: largeFrames, ratio: largeFrames.refreshAndRenderMs / max(0.0001, smallFrames.refreshAndRenderMs),
                      fullRepaintBytes: full, oneRowUpdateBytes: oneRow, idleSeconds: idleSeconds, idleCPUPercent: idle,
                      eventToScreenP50Ms: pick(0.5), eventToScreenP99Ms: pick(0.99))
    }

    /// A dashboard state as the runtime builds it: every pane's page and the counts, fetched.
    static func refresh(_ state: inout ConsoleState, _ backend: EmbeddedBackend) async throws {
        _ = ConsoleUpdate.update(&state, .usersLoaded(.success(try await backend.users(state.users.request))))
        _ = ConsoleUpdate.update(&state, .ordersLoaded(.success(try await backend.orders(state.orders.request)), eventsSeen: state.events.endIndex))
        _ = ConsoleUpdate.update(&state, .paymentsLoaded(.success(try await backend.payments(state.payments.request)), eventsSeen: state.events.endIndex))
        _ = ConsoleUpdate.update(&state, .registryLoaded(.success(try await backend.registry()), at: Date()))
        _ = ConsoleUpdate.update(&state, .countsLoaded(.success(try await backend.orderCounts())))
    }

    static func dashboard(_ backend: EmbeddedBackend) async throws -> ConsoleState {
        var state = ConsoleState()
        state.modeName = backend.modeName; state.endpoint = backend.endpoint; state.operatorName = backend.operatorName
        _ = ConsoleUpdate.update(&state, .tick(Date()))
        _ = ConsoleUpdate.update(&state, .resize(width: 200, height: 50))
        let recent = try await backend.system.events.latest(count: 200, topics: nil)
        _ = ConsoleUpdate.update(&state, .events(recent.map { StreamedEvent(cursor: $0.sequence, envelope: $0.envelope) }))
        try await refresh(&state, backend)
        return state
    }

    func measureFrames(_ dir: DataDir, frames: Int = ConsoleBenchmark.frames) async throws -> Frames {
        var state = try await Self.dashboard(dir.backend)
        var checksum = 0
        let clock = ContinuousClock()
        let refreshed = try await clock.measure {
            for _ in 0..<frames {
                try await Self.refresh(&state, dir.backend)
                checksum &+= ConsoleView.render(state).cells.count
            }
        }
        let rendered = clock.measure {
            for _ in 0..<frames { checksum &+= ConsoleView.render(state).cells.count }
        }
        precondition(checksum > 0)
        return Frames(orders: dir.orders, refreshAndRenderMs: refreshed.milliseconds / Double(frames),
                      renderMs: rendered.milliseconds / Double(frames))
    }
}

extension Duration {
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
