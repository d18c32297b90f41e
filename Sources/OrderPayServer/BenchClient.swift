import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OrderPayCore

/// The HTTP side of `orderpay bench http`: logs in, places orders through the gateway, and learns
/// when each reaches PAID from the gateway's server-sent event stream (one connection, no polling).
struct BenchClient {
    let base: String

    func login(email: String, password: String) async throws -> String {
        var request = HTTPClientRequest(url: base + "/api/auth/login")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(["email": email, "password": password])))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok, let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
              let token = json["accessToken"] as? String else {
            throw AppError(.unavailable, "login through the gateway failed (HTTP \(response.status.code))")
        }
        return token
    }

    func placeOrders(count: Int, concurrency: Int, token: String) async throws -> (rate: Double, p99Ms: Double) {
        let completions = CompletionBoard()
        let stream = Task { try await follow(token: token, into: completions) }
        defer { stream.cancel() }
        try await Task.sleep(for: .milliseconds(300))   // the stream is attached before the first order
        let clock = ContinuousClock()
        let start = clock.now
        let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var samples: [Duration] = []
                    for index in stride(from: worker, to: count, by: concurrency) {
                        let began = clock.now
                        let id = try await place(token: token, product: Int64(1 + index % 15))
                        try await completions.wait(for: id, timeout: .seconds(30))
                        samples.append(clock.now - began)
                    }
                    return samples
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let sorted = latencies.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }.sorted()
        let p99 = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
        return (Double(count) / seconds, p99)
    }

    func place(token: String, product: Int64) async throws -> Int64 {
        var request = HTTPClientRequest(url: base + "/api/orders")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        let body = #"{"items":[{"productId":\#(product),"quantity":1}],"shippingAddress":"1 Bench Road","paymentMethod":"CREDIT_CARD","paymentToken":"tok_visa"}"#
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let data = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .created, let json = try JSONSerialization.jsonObject(with: Data(buffer: data)) as? [String: Any],
              let id = (json["id"] as? NSNumber)?.int64Value else {
            throw AppError(.unavailable, "placing an order through the gateway failed (HTTP \(response.status.code)): \(String(buffer: data))")
        }
        return id
    }

    /// Reads `order-status-updated` events from the gateway's SSE stream and marks orders done.
    func follow(token: String, into board: CompletionBoard) async throws {
        var request = HTTPClientRequest(url: base + "/api/events/stream?topic=order-status-updated")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "text/event-stream")
        let response = try await HTTPClient.shared.execute(request, timeout: .hours(1))
        var pending = ""
        for try await chunk in response.body {
            pending += String(buffer: chunk)
            while let newline = pending.firstIndex(of: "\n") {
                let line = String(pending[..<newline])
                pending = String(pending[pending.index(after: newline)...])
                guard line.hasPrefix("data:"), let json = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(5).utf8)) as? [String: Any],
                      let payload = json["payload"] as? [String: Any], let to = payload["to"] as? String,
                      to == "PAID" || to == "FAILED", let id = (payload["orderId"] as? NSNumber)?.int64Value else { continue }
                await board.finish(id)
            }
        }
    }
}

actor CompletionBoard {
    private var done: Set<Int64> = []
    private var waiting: [Int64: CheckedContinuation<Void, Never>] = [:]

    func finish(_ id: Int64) {
        if let continuation = waiting.removeValue(forKey: id) { continuation.resume() } else { done.insert(id) }
    }

    func wait(for id: Int64, timeout: Duration) async throws {
        if done.remove(id) != nil { return }
        await withCheckedContinuation { waiting[id] = $0 }
    }
}
