import Foundation
import OrderPayConsole
import OrderPayCore

/// The live log over server-sent events.
extension RemoteBackend {
    /// The last `backlog` events, then live ones, each batch as it arrives; `cursor` is the SSE id
    /// when it is a log sequence (the SQL event log), else 0: with Kafka the id is a cursor of
    /// partition offsets, which `SSEStream` sends back as it is (Last-Event-ID) and which resumes
    /// on any instance. The backlog starts at `?from=` = end of the log − backlog + 1, the end
    /// being the sum of the topics' end offsets (offsets count from 0 per topic, sequences from 1
    /// across the log; with Kafka a rough guess, the answering process's own sequences). Ends when the consuming task is cancelled (stopping the transfer and its
    /// thread) or when the gateway refuses the stream for good (reported through `onStatus`).
    public func streamEvents(backlog: Int, onStatus: @escaping @Sendable (StreamStatus?) -> Void) -> AsyncStream<[StreamedEvent]> {
        let (stream, continuation) = AsyncStream<[StreamedEvent]>.makeStream()
        let events = SSEStream(transport: streamTransport, session: session,
                               initialBackoff: options.streamInitialBackoff, maximumBackoff: options.streamMaximumBackoff)
        let task = Task {
            await events.run(initialQuery: { [self] in
                backlog > 0 ? [("from", String(try await self.backlogStart(backlog)))] : []
            }, onEvents: { messages in
                let batch = messages.compactMap(Self.streamedEvent)
                if !batch.isEmpty { continuation.yield(batch) }
            }, onStatus: onStatus)
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The topic's last `count` events (up to the API's 1,000), oldest first. A page does not
    /// carry log sequences: `cursor` is 0 (nothing resumes from them).
    public func recentEvents(topic: Topic, count: Int) async throws -> [StreamedEvent] {
        let page = try await get(EventPageEvents.self, "/api/events", query: [
            ("topic", topic.rawValue), ("last", String(min(max(1, count), 1000))),
        ])
        return page.events.map { StreamedEvent(cursor: 0, envelope: $0) }
    }

    /// The log sequence of the first of the last `count` events.
    func backlogStart(_ count: Int) async throws -> Int64 {
        let end = try await withThrowingTaskGroup(of: Int64.self) { group in
            for topic in Topic.allCases {
                group.addTask {
                    let response = try await self.call("GET", "/api/events", query: [("topic", topic.rawValue), ("limit", "1")])
                    guard response.isSuccess else { throw GatewayAnswer(status: response.status, error: ProblemMapping.error(for: response)) }
                    return try GatewayTransport.decode(EventPageHead.self, from: response).endOffset
                }
            }
            return try await group.reduce(0, +)
        }
        return max(1, end - Int64(count) + 1)
    }

    /// An event of the stream, or nil for one that cannot be read (skipped, never fatal).
    static func streamedEvent(_ message: SSEMessage) -> StreamedEvent? {
        guard let envelope = try? JSONCoding.decoder.decode(EventEnvelope.self, from: Data(message.data.utf8)) else { return nil }
        return StreamedEvent(cursor: message.id.flatMap { Int64($0) } ?? 0, envelope: envelope)
    }
}
