import Foundation
import Hummingbird
import OrderPayCore
import OrderPayServices
import ServiceLifecycle

/// Streams the live event log as server-sent events: for each event `id: <stream position>` (the
/// log sequence on the SQL logs, a cursor any process resumes from with Kafka),
/// `event: <topic>`, `data: <EventEnvelope JSON>`; a `: keepalive` comment when nothing was sent
/// for `keepAlive`. It sleeps on the log's `appended` signal between batches (no busy loop) and
/// re-reads at least every `pollInterval`, for appends made by other processes on the same log.
struct ServerSentEventStream: Sendable {
    let events: any EventLog
    /// Events after this stream position are sent.
    let after: String
    let topics: Set<Topic>?
    /// Stop after this many events (nil: until the client goes away).
    let limit: Int?
    let keepAlive: Duration
    let pollInterval: Duration
    static let batchSize = 200

    func response() -> Response {
        let headers: HTTPFields = [
            .contentType: "text/event-stream; charset=utf-8",
            .cacheControl: "no-cache",
            .accelBuffering: "no",
        ]
        let signal = events.appended
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            // A stream never ends by itself, so a server shutting down gracefully would wait out
            // its whole grace period for it: the stream ends at once instead, and the client
            // resumes from its last id on another instance.
            try await withGracefulShutdownHandler {
                try await self.run(&writer)
            } onGracefulShutdown: {
                signal.notify()
            }
            try await writer.finish(nil)
        })
    }

    private func run(_ writer: inout any ResponseBodyWriter) async throws {
        let signal = events.appended
        var last = after
        var sent = 0
        var lastWrite = ContinuousClock.now
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let seen = signal.current
            let wanted = limit.map { min(Self.batchSize, $0 - sent) } ?? Self.batchSize
            let batch = try await events.stream(after: last, topics: topics, limit: wanted)
            if !batch.isEmpty {
                var text = ""
                for event in batch { text += try Self.message(event) }
                try await writer.write(ByteBuffer(string: text))
                last = batch[batch.count - 1].position
                sent += batch.count
                lastWrite = .now
                if let limit, sent >= limit { return }
                continue
            }
            let quiet = ContinuousClock.now - lastWrite
            if quiet >= keepAlive {
                try await writer.write(ByteBuffer(string: ": keepalive\n\n"))
                lastWrite = .now
                continue
            }
            await signal.wait(after: seen, timeout: min(keepAlive - quiet, pollInterval))
        }
    }

    static func message(_ event: PositionedEvent) throws -> String {
        let json = String(decoding: try JSONCoding.encoder.encode(event.envelope), as: UTF8.self)
        return "id: \(event.position)\nevent: \(event.envelope.topic.rawValue)\ndata: \(json)\n\n"
    }
}
