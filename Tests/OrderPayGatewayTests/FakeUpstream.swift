import Foundation
import NIOCore
import NIOConcurrencyHelpers
import NIOPosix

/// A server on a free loopback port whose connections `initialize` sets up: what every fake here is.
private func listenOnLoopback(_ initialize: @escaping @Sendable (Channel) -> EventLoopFuture<Void>) async throws -> Channel {
    try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer(initialize)
        .bind(host: "127.0.0.1", port: 0).get()
}

/// A loopback TCP server that accepts connections and closes each one as soon as the request
/// arrives: an upstream that "drops the connection" mid-request.
final class DroppingUpstream: @unchecked Sendable {
    let channel: Channel
    let port: Int

    private init(channel: Channel) {
        self.channel = channel
        port = channel.localAddress?.port ?? 0
    }

    /// - Parameter silent: accept and read, but never answer nor close (an upstream that hangs).
    static func start(silent: Bool = false) async throws -> DroppingUpstream {
        let channel = try await listenOnLoopback { channel in
            silent ? channel.eventLoop.makeSucceededVoidFuture() : channel.pipeline.addHandler(CloseOnRead())
        }
        return DroppingUpstream(channel: channel)
    }

    func stop() async { try? await channel.close() }

    /// A loopback port nobody listens on (bound, then released): connecting is refused.
    static func closedPort() async throws -> Int {
        let server = try await start()
        let port = server.port
        await server.stop()
        return port
    }
}

private final class CloseOnRead: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.close(promise: nil)
    }
}

/// A loopback "service" that answers every request (one per read) with 200 "ok" on a keep-alive
/// connection, and counts the connections it accepted.
final class CountingUpstream: @unchecked Sendable {
    let channel: Channel
    let port: Int
    private let accepted: NIOLockedValueBox<Int>

    private init(channel: Channel, accepted: NIOLockedValueBox<Int>) {
        self.channel = channel
        self.accepted = accepted
        port = channel.localAddress?.port ?? 0
    }

    static func start() async throws -> CountingUpstream {
        let accepted = NIOLockedValueBox(0)
        let channel = try await listenOnLoopback { channel in
            accepted.withLockedValue { $0 += 1 }
            return channel.pipeline.addHandler(AnswerOK())
        }
        return CountingUpstream(channel: channel, accepted: accepted)
    }

    var connections: Int { accepted.withLockedValue { $0 } }

    func stop() async { try? await channel.close() }
}

private final class AnswerOK: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(NIOAny(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")), promise: nil)
    }
}

/// A loopback "service" that answers every request with a server-sent event stream it writes
/// as the test says: the response head and some bytes at once, more bytes on `send`. The stream
/// never ends by itself: it is chunked, or has a Content-Length the test decides to reach or not.
final class EventStreamUpstream: @unchecked Sendable {
    let channel: Channel
    let port: Int
    private let sized: Bool
    private let streams: NIOLockedValueBox<[Channel]>

    private init(channel: Channel, sized: Bool, streams: NIOLockedValueBox<[Channel]>) {
        self.channel = channel
        self.sized = sized
        self.streams = streams
        port = channel.localAddress?.port ?? 0
    }

    static func start(first: String, contentLength: Int? = nil) async throws -> EventStreamUpstream {
        let streams = NIOLockedValueBox([Channel]())
        let framing = contentLength.map { "Content-Length: \($0)" } ?? "Transfer-Encoding: chunked"
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\(framing)\r\n\r\n"
        let opening = head + (contentLength == nil ? chunk(first) : first)
        let channel = try await listenOnLoopback { channel in
            channel.pipeline.addHandler(AnswerWithStream(opening: opening) { streams.withLockedValue { $0.append(channel) } })
        }
        return EventStreamUpstream(channel: channel, sized: contentLength != nil, streams: streams)
    }

    /// How many streams it has answered.
    var streamCount: Int { streams.withLockedValue { $0.count } }

    /// Writes `text` (as one chunk, when chunked) on every stream answered so far.
    func send(_ text: String) async throws {
        for stream in streams.withLockedValue({ $0 }) {
            try await stream.writeAndFlush(ByteBuffer(string: sized ? text : EventStreamUpstream.chunk(text))).get()
        }
    }

    func stop() async {
        for stream in streams.withLockedValue({ $0 }) { try? await stream.close() }
        try? await channel.close()
    }

    static func chunk(_ text: String) -> String { String(text.utf8.count, radix: 16) + "\r\n" + text + "\r\n" }
}

private final class AnswerWithStream: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let opening: String
    let answered: () -> Void
    private var answering = false

    init(opening: String, answered: @escaping () -> Void) { self.opening = opening; self.answered = answered }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answering else { return }
        answering = true
        context.writeAndFlush(NIOAny(ByteBuffer(string: opening)), promise: nil)
        answered()
    }
}

/// A loopback "service" (or registry) that answers each request head it reads with what
/// `answer` makes of the request's text, and keeps every byte it was sent.
final class ScriptedUpstream: @unchecked Sendable {
    let channel: Channel
    let port: Int
    private let log: NIOLockedValueBox<String>

    private init(channel: Channel, log: NIOLockedValueBox<String>) {
        self.channel = channel
        self.log = log
        port = channel.localAddress?.port ?? 0
    }

    static func start(_ answer: @escaping @Sendable (String) -> String) async throws -> ScriptedUpstream {
        let log = NIOLockedValueBox("")
        let channel = try await listenOnLoopback { channel in channel.pipeline.addHandler(AnswerScripted(log: log, answer: answer)) }
        return ScriptedUpstream(channel: channel, log: log)
    }

    /// Everything sent to it so far, all connections together.
    var received: String { log.withLockedValue { $0 } }

    func stop() async { try? await channel.close() }
}

private final class AnswerScripted: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let log: NIOLockedValueBox<String>
    let answer: @Sendable (String) -> String
    private var pending = ""

    init(log: NIOLockedValueBox<String>, answer: @escaping @Sendable (String) -> String) { self.log = log; self.answer = answer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let text = String(buffer: unwrapInboundIn(data))
        log.withLockedValue { $0 += text }
        pending += text
        // One answer per request head (the tests' requests carry no body it would need to skip).
        while let end = pending.range(of: "\r\n\r\n") {
            let request = String(pending[..<end.upperBound])
            pending = String(pending[end.upperBound...])
            context.writeAndFlush(NIOAny(ByteBuffer(string: answer(request))), promise: nil)
        }
    }
}
