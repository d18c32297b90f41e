import Foundation
import Hummingbird
import OrderPayCore
import OrderPayServices

/// `/api/events` (admins only): topic history, the live log as server-sent events, dead letters.
///
/// - Parameters:
///   - replay: hands a dead letter back to its consumer group, in this process or the one that
///     runs the group (the wiring supplies, e.g., `EmbeddedSystem.replayDeadLetter`).
///   - keepAlive: how long a quiet stream waits before sending a `: keepalive` comment. Clients
///     take a stream that brings nothing for three of these as dead (the console: 15 s), so a
///     frozen gateway shows within seconds while a quiet, healthy one never looks dead.
public func addEventRoutes(to api: APIRouter, events: any EventLog, tokens: TokenService,
                           replay: @escaping @Sendable (DeadLetterReplayRequest) async throws -> DeadLetter,
                           keepAlive: Duration = .seconds(5)) {
    let tag = "events", admin = RouteAccess.admin(tokens)
    let topics = Topic.allCases.map(\.rawValue)

    api.on(RouteDescriptor(method: .get, path: "/api/events", tag: tag, summary: "A page of one topic's history, by offset, or its last events",
                           access: admin, response: .json("EventPage"), query: [
                               ParameterDoc("topic", "the topic", allowed: topics, required: true),
                               ParameterDoc("from", .integer, "first offset (default 0)"),
                               ParameterDoc("limit", .integer, "events per page, 1–1000 (default 100; values outside read as the nearest)"),
                               ParameterDoc("last", .integer, "instead of from and limit: the topic's last N events, 1–1000, in log order", range: 1...1000),
                               ParameterDoc("after", "instead of from: the events after this stream position (an event id of "
                                                + "/api/events/stream, or a page's nextAfter); the page's nextAfter continues it, "
                                                + "on any instance, with Kafka too", pattern: streamPositionPattern),
                           ])) { request, _ in
        guard let topic = try request.queryEnum("topic", as: Topic.self) else {
            throw HTTPProblem.badRequest("query parameter 'topic' is required: one of \(topics.joined(separator: ", "))", field: "topic")
        }
        if let last = try request.queryInt("last") {
            return try .json(try await lastEvents(of: topic, count: last, request: request, events: events))
        }
        let limit = min(max(1, try request.queryInt("limit") ?? 100), 1000)
        if let after = try request.query("after") {
            guard try request.query("from") == nil else {
                throw HTTPProblem.badRequest("query parameter 'after' takes the place of 'from'", field: "after")
            }
            return try .json(try await pageAfter(after, of: topic, limit: limit, events: events))
        }
        let from = max(0, try request.queryInt64("from") ?? 0)
        let page = try await events.page(topic: topic, from: from, limit: limit)
        return try .json(EventPage(topic: topic, from: from, limit: limit, nextOffset: (page.last?.offset).map { $0 + 1 } ?? from,
                                   endOffset: try await events.endOffset(topic: topic), events: page))
    }
    api.on(RouteDescriptor(method: .get, path: "/api/events/stream", tag: tag,
                           summary: "The live log as server-sent events (id = stream position, event = topic, data = envelope)",
                           access: admin,
                           response: .text(contentType: "text/event-stream", description: "id: <stream position>, event: <topic>, data: <EventEnvelope JSON>"),
                           query: [
                               ParameterDoc("from", "a log sequence: the first to send; or an event id the stream sent: resume after it "
                                                + "(default: only events appended from now on)", pattern: streamPositionPattern),
                               ParameterDoc("topic", "only these topics (comma-separated)", allowed: topics),
                               ParameterDoc("limit", .integer, "close the stream after this many events", range: 1...Int(Int64.max)),
                           ],
                           headers: [ParameterDoc("Last-Event-ID", "resume after this event id (wins over from)", pattern: streamPositionPattern)],
                           details: streamPositionDoc,
                           problems: [410: "with Kafka: the events after Last-Event-ID (or from) are no longer held by Kafka; "
                                          + "resuming would skip them, so start a new stream without it"])) { request, _ in
        let filter = try streamTopics(try request.query("topic"))
        let limit = try request.queryInt("limit")
        if let limit, limit < 1 { throw HTTPProblem.badRequest("query parameter 'limit' must be at least 1", field: "limit") }
        let after = try await streamStart(request, topics: filter, events: events)
        return ServerSentEventStream(events: events, after: after, topics: filter, limit: limit,
                                     keepAlive: keepAlive, pollInterval: .seconds(1)).response()
    }
    api.on(RouteDescriptor(method: .get, path: "/api/events/dead-letters", tag: tag, summary: "Events a consumer gave up on",
                           access: admin, response: .jsonArray("DeadLetter"),
                           query: [ParameterDoc("includeReplayed", .boolean, "also list those already replayed")])) { request, _ in
        try .json(try await events.deadLetters(includeReplayed: try request.queryBool("includeReplayed") ?? false))
    }
    api.on(RouteDescriptor(method: .post, path: "/api/events/dead-letters/{id}/replay", tag: tag,
                           summary: "Hand a dead letter to its consumer group again", access: admin,
                           response: .json("DeadLetter"), headers: [replayHandoverHeader],
                           details: replayDetails, problems: replayProblems)) { request, context in
        let handedOver = request.headers[.replayHandover]
        return try .json(try await replay(DeadLetterReplayRequest(id: try context.pathID(), callerToken: context.bearerToken,
                                                                  handedOverEventId: handedOver)))
    }
}

private let replayDetails = """
    The letter's event is delivered once more to the consumer group that gave up on it, in a \
    process that runs that group: the one answering when it runs it, else an instance of the owning \
    service found in the registry (groups are named after their services: payment-service is \
    PAYMENT-SERVICE), called with the caller's token. The letter is marked replayed only when the \
    handler succeeded there; the answer is then the letter with its replayedAt.
    """

private let replayProblems: [Int: String] = [
    409: "the letter was already replayed, is being replayed by another request, or holds an event this version "
        + "cannot read (it stays a dead letter until a version that reads it replays it)",
    502: "the owning service broke off the replay or answered something unreadable; it may have run there (list the dead letters to see)",
    503: "no instance of the service that runs the letter's consumer group is up or reachable; nothing was replayed",
    504: "the owning service did not answer in time; the replay may still finish there (list the dead letters to see)",
]

private let replayHandoverHeader = ParameterDoc(
    DeadLetterReplayRequest.handoverHeader,
    "set by a service handing the replay over to one that runs the group: the event id it saw in the letter. The receiver "
        + "replays the letter itself or refuses (503), and refuses a letter holding another event (409)")

/// `?last=N`: the newest events of a topic, whatever its offsets are (with Kafka they count per
/// partition, so "the end minus N" is no page of the last N).
private func lastEvents(of topic: Topic, count: Int, request: Request, events: any EventLog) async throws -> EventPage {
    guard (1...1000).contains(count) else { throw HTTPProblem.badRequest("query parameter 'last' must be 1–1000", field: "last") }
    guard try request.query("from") == nil, try request.query("limit") == nil, try request.query("after") == nil else {
        throw HTTPProblem.badRequest("query parameter 'last' takes the place of 'from', 'after' and 'limit'", field: "last")
    }
    let latest = try await events.latest(count: count, topics: [topic]).map(\.envelope)
    let end = try await events.endOffset(topic: topic)
    return EventPage(topic: topic, from: latest.first?.offset ?? end, limit: count, nextOffset: end, endOffset: end, events: latest)
}

/// What an event stream accepts as a position (documented; the log checks it): a log sequence, or
/// a Kafka cursor: `k1.` and base64url.
private let streamPositionPattern = "^(-?[0-9]{1,19}|k1\\.[A-Za-z0-9_-]{1,4096})$"

private let streamPositionDoc = """
    On the SQL event log an id is the event's log sequence, the same on every instance. With Kafka it is a cursor \
    (`k1.` and base64url: the next offset of every partition as of that event), which every instance, also after a \
    restart, resumes from exactly: each partition's events after it, in partition order, none twice, none left out, \
    as long as Kafka holds them (410 when it no longer does). With Kafka an integer `from` is a sequence of the \
    answering process's own reading, which another process numbers differently.
    """

/// Where a stream starts: after the client's Last-Event-ID, at `from` (a sequence: the first to
/// send; an id the stream sent: after it) or after the newest event.
private func streamStart(_ request: Request, topics: Set<Topic>?, events: any EventLog) async throws -> String {
    if let header = request.headers[.lastEventID]?.trimmingCharacters(in: .whitespaces), !header.isEmpty {
        return try await resumedPosition(header, topics: topics, events: events, named: "Last-Event-ID", field: "Last-Event-ID")
    }
    guard let from = try request.query("from") else { return try await events.streamPositionAtEnd() }
    if let sequence = Int64(from) {
        // Not `max(0, from - 1)`: Int64.min - 1 overflows (and took the service down).
        return try await events.streamPosition(afterSequence: sequence > 0 ? sequence - 1 : 0)
    }
    return try await resumedPosition(from, topics: topics, events: events, named: "query parameter 'from'", field: "from")
}

private func resumedPosition(_ text: String, topics: Set<Topic>?, events: any EventLog, named name: String, field: String) async throws -> String {
    do {
        guard let position = try await events.streamPosition(resuming: text, topics: topics) else {
            throw HTTPProblem.badRequest("\(name) must be an event id this stream sent (or a log sequence number)", field: field)
        }
        return position
    } catch let expired as StreamPositionExpired {
        throw HTTPProblem(status: 410, detail: "\(name): \(expired.detail)")
    }
}

/// `?after=`: a page of `topic` after a stream position, read as the stream reads (so with Kafka
/// per partition from a cursor any process understands: no repeats or gaps between pages, which
/// paging by `from`, an offset every partition has, cannot promise).
private func pageAfter(_ text: String, of topic: Topic, limit: Int, events: any EventLog) async throws -> EventPage {
    var position = try await resumedPosition(text, topics: [topic], events: events, named: "query parameter 'after'", field: "after")
    var page: [EventEnvelope] = []
    // Like `tail`, a read may return fewer than asked while more exist: read until full or none.
    while page.count < limit {
        let more = try await events.stream(after: position, topics: [topic], limit: limit - page.count)
        guard let last = more.last else { break }
        page += more.map(\.envelope)
        position = last.position
    }
    let end = try await events.endOffset(topic: topic)
    return EventPage(topic: topic, from: page.first?.offset ?? end, limit: limit, nextOffset: (page.last?.offset).map { $0 + 1 } ?? end,
                     endOffset: end, events: page, nextAfter: position)
}

private func streamTopics(_ text: String?) throws -> Set<Topic>? {
    guard let text else { return nil }
    let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    guard !names.isEmpty else { return nil }
    return Set(try names.map { try parseEnum($0, as: Topic.self, name: "query parameter 'topic'", field: "topic") })
}
