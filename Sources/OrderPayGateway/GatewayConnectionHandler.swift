import Foundation
import NIOCore
import NIOHTTP1
import OrderPayCore

/// One client connection of the gateway. It reads a request, asks `Gateway` what to do with it,
/// and then answers itself or lets a `ProxyExchange` relay a service's response. Everything happens
/// on the connection's event loop; only a token seen for the first time and the gateway's own
/// endpoints take an async detour.
///
/// It reads requests with its own parser (ClientRequestParser, see there why) and keeps the order
/// of pipelined requests itself, rather than through NIO's HTTPServerPipelineHandler: that one
/// stops reading while each response is pending and starts again after it, two epoll_ctl calls
/// per request on every keep-alive connection. Here the bytes of a pipelined request wait unparsed
/// until the response before it has ended, and reading only stops when a client actually pipelines.
///
/// A request is decided on as soon as its head has arrived (see `+Admission`): one the gateway
/// refuses (no route, no or a bad token, rate limited, too large, no room for its body) is
/// answered before its body is read, and `Expect: 100-continue` is only answered 100 when the
/// request will be served.
///
/// A connection waiting for a request (new, between requests, or part way through one) has
/// `Gateway.Settings.clientTimeout` to send it: the whole head, and each piece of a body, must come
/// within that time, and the whole body within `bodyTimeout` of the head, or the connection closes,
/// with a 408 when a request had begun. A client that takes none of a response's bytes for as
/// long is cut off too. So a client that trickles a head or a body (slowloris), stops reading or
/// holds connections open cannot use them up.
final class GatewayConnectionHandler: ChannelInboundHandler, LoopDeadlines.Waiter {
    typealias InboundIn = ByteBuffer
    /// Response bytes: `ResponseEncoding` does the encoder's job (see there why).
    typealias OutboundOut = ByteBuffer

    let gateway: Gateway
    private let pool: UpstreamPool
    /// This loop's client timeouts.
    private let clientDeadlines: LoopDeadlines
    /// This loop's cap on the request-body bytes held (see `BodyBudget`).
    let bodies: BodyBudget
    /// The bytes of `bodies` the current request holds.
    var bodyReserved = 0
    /// When the current request's body must have arrived whole (distant future between requests).
    var bodyDeadline = NIODeadline.distantFuture
    /// What the current request's head decided; nil while a first-time token is being verified.
    var verdict: Gateway.Decision?
    /// The client asked `Expect: 100-continue` and has been sent neither 100 nor a final answer.
    var awaitingContinue = false
    /// When the client's time runs out (see above); kept by `clientDeadlines` while no request is
    /// being answered, or while the response waits for the client to read.
    private(set) var deadline = NIODeadline.distantFuture
    var deadlineSlot = -1
    var context: ChannelHandlerContext?
    /// The request being read or answered.
    var request: IncomingRequest?
    /// True from a request's end until its response's end.
    var answering = false
    /// True from a response's head until its end.
    var responding = false
    /// The response in progress is a server-sent event stream.
    var streaming = false
    /// The stream's last bytes relayed, so a stopping gateway can end it where an event ends.
    var streamTail = EventStreamTail()
    var parser = ClientRequestParser()
    /// Bytes read but not parsed yet: the rest of a request, or requests pipelined behind the
    /// one being answered.
    var unparsed: ByteBuffer?
    /// Shutting down: the connection closes after the response in progress.
    var quiescing = false
    var exchange: ProxyExchange?
    var status = HTTPResponseStatus.ok
    var encoding = ResponseEncoding()
    /// The response's head, held back until the body's first part can go in the same buffer (a
    /// small response then leaves in one write(2) of one buffer, not a writev of two), or until
    /// a flush.
    var pendingHead: ByteBuffer?
    var keepAlive = true
    /// The last response ends the connection: nothing after it is read.
    var closing = false
    /// The client's address as text, looked up once per connection, not per request.
    var clientIP: String?
    /// The connection ends before the request was read to its end: the response is followed by
    /// a lingering close (see `closeAfterResponse`).
    var lingerOnClose = false
    /// Why the gateway closed the connection mid-response, for the access-log line.
    private var cutOff: String?
    /// Our side is closed; what the client still sends is read and dropped.
    private var lingering = false
    /// The client has closed its sending side: after the requests it sent whole, the connection ends.
    var inputEnded = false
    /// How long a lingering close waits for the client to close its side.
    static let lingerTime: TimeAmount = .seconds(2)

    init(gateway: Gateway, pool: UpstreamPool, clientDeadlines: LoopDeadlines, bodies: BodyBudget) {
        self.gateway = gateway
        self.pool = pool
        self.clientDeadlines = clientDeadlines
        self.bodies = bodies
    }

    /// The channel's, kept: `context.channel` costs a retain and release on every use.
    var allocator = ByteBufferAllocator()

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        clientIP = context.channel.remoteAddress?.ipAddress
        allocator = context.channel.allocator
        armClientTimeout()
    }
    func handlerRemoved(context: ChannelHandlerContext) {
        clientDeadlines.remove(self)
        self.context = nil
    }

    /// Gives the client its time, from now: to send (the rest of) a request, or to take bytes of
    /// the response.
    func armClientTimeout() {
        restartClock()
        clientDeadlines.add(self)
    }

    /// The client's time starts again from now (never past the body's deadline while one is read).
    func restartClock() {
        deadline = min(.now() + gateway.settings.clientTimeout, bodyDeadline)
    }

    /// No longer waiting for the client (the request has arrived, or is being refused).
    func stopClientTimeout() {
        clientDeadlines.remove(self)
    }

    /// The client took too long: a request it began gets 408 (and its access-log line); an idle
    /// connection, or one whose client stopped reading the response, just closes (the cut
    /// response gets its access-log line as the connection ends).
    func deadlinePassed() {
        guard let context else { return }
        if lingering {
            context.close(promise: nil)
        } else if answering || closing {
            guard !context.channel.isWritable else { return }
            cutOff = "cut off: the client took none of the response for \(Self.seconds(gateway.settings.clientTimeout)) s"
            context.close(promise: nil)
        } else if request != nil || unparsed != nil {
            if let request { gateway.log(request, status: .requestTimeout) }
            request = nil
            let detail = NIODeadline.now() >= bodyDeadline
                ? "the request body did not arrive whole within \(Self.seconds(gateway.settings.bodyTimeout)) s"
                : "the request did not arrive within \(Self.seconds(gateway.settings.clientTimeout)) s"
            closeWithProblem(.requestTimeout, detail, context: context)
        } else {
            context.close(promise: nil)
        }
    }

    private static func seconds(_ time: TimeAmount) -> String {
        let seconds = Double(time.nanoseconds) / 1e9
        return seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
    }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !lingering else { return }
        var buffer = unwrapInboundIn(data)
        HTTPBytes.prepend(&unparsed, to: &buffer)
        parse(&buffer, context: context)
    }

    /// Hands parts over until a request is being answered or more bytes are needed; keeps the
    /// rest. While a request is answered, what follows it waits here and no more is read, so a
    /// client cannot make the gateway buffer without bound.
    private func parse(_ buffer: inout ByteBuffer, context: ChannelHandlerContext) {
        while !answering && !closing {
            let part: HTTPServerRequestPart?
            do {
                part = try parser.next(&buffer)
            } catch {
                return refuse(error, context: context)
            }
            guard let part else { break }
            receive(part, buffered: buffer.readableBytes, context: context)
        }
        guard buffer.readableBytes > 0, !closing else { return }
        if answering { _ = try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false) }
        unparsed = buffer
    }

    /// A 413 for a body over the limit before it is read to its end; the connection then closes,
    /// lingering, as the rest of the body is not read.
    func refuseOversized(declaredLength: Int?) {
        refuseBeforeBody(gateway.refuseOversized(length: declaredLength, clientIP: clientIP))
    }

    /// Goes on with the requests pipelined behind the one just answered.
    func receivePipelined() {
        guard let context, !answering, var buffer = unparsed else { return }
        unparsed = nil
        _ = try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        parse(&buffer, context: context)
        // What is left of a client that has stopped sending can never become a request.
        if inputEnded && !answering && !closing { context.close(promise: nil) }
    }

    /// What NIO's HTTPServerProtocolErrorHandler would do, without a handler in the path of every
    /// read and write: a request that does not parse gets 400 unless a response has started; the
    /// connection closes.
    private func refuse(_ error: Error, context: ChannelHandlerContext) {
        guard !responding else {
            unparsed = nil
            request = nil
            return context.close(promise: nil)
        }
        if error is UnsupportedTransferCoding {
            gateway.logUnreadable(status: .notImplemented)
            return closeWithProblem(.notImplemented, "the request body's Transfer-Encoding may only be chunked", context: context)
        }
        gateway.logUnreadable(status: .badRequest)
        if let reason = (error as? MalformedHTTP)?.reason {
            return closeWithProblem(.badRequest, "the request is not well-formed HTTP: \(reason)", context: context)
        }
        closeWithProblem(.badRequest, "the request is not well-formed HTTP (a head over \(ClientRequestParser.maxHeadSize >> 10) KB or "
                         + "\(ClientRequestParser.maxHeaderFields) header lines, a bad request line or header, or conflicting body lengths)",
                         context: context)
    }

    /// A problem+json answer to a request that cannot be read (so it has no head to answer), and
    /// the connection's end.
    private func closeWithProblem(_ status: HTTPResponseStatus, _ detail: String, context: ChannelHandlerContext) {
        let problem = GatewayReply.problem(status, detail)
        var bytes = allocator.buffer(capacity: 256 + problem.body.readableBytes)
        bytes.writeString("HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\nConnection: close\r\n"
                          + "Content-Type: application/problem+json\r\nContent-Length: \(problem.body.readableBytes)\r\n\r\n")
        bytes.writeImmutableBuffer(problem.body)
        unparsed = nil
        request = nil
        releaseBody()
        closing = true
        lingerOnClose = true   // the rest of what did not parse may still be on its way
        clientDeadlines.remove(self)
        context.writeAndFlush(wrapOutboundOut(bytes)).assumeIsolated().whenComplete { _ in self.closeAfterResponse(context) }
    }

    /// Closes once the last response is written: at once, or, when the client may still be
    /// sending the request, a lingering close. Closing a socket with unread bytes makes the
    /// kernel answer with a reset, and a client whose upload is cut that way may never read the
    /// 413 or 400 sent before it; so only our side closes, what arrives is dropped, and the
    /// connection ends when the client closes or `lingerTime` has passed (as nginx does).
    func closeAfterResponse(_ context: ChannelHandlerContext) {
        // A client that has closed its side sends nothing more to linger for.
        guard lingerOnClose, !lingering, !inputEnded else { return context.close(promise: nil) }
        lingering = true
        unparsed = nil
        _ = try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        let closed = context.eventLoop.makePromise(of: Void.self)
        closed.futureResult.assumeIsolated().whenFailure { _ in context.close(promise: nil) }
        context.close(mode: .output, promise: closed)
        clientDeadlines.remove(self)
        deadline = .now() + Self.lingerTime
        clientDeadlines.add(self)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent { return clientFinishedSending(context) }
        guard event is ChannelShouldQuiesceEvent else { return context.fireUserInboundEventTriggered(event) }
        quiescing = true
        if request == nil && unparsed == nil { context.close(promise: nil) } else { endStreamIfQuiescing() }
    }

    /// The client closed its sending side (half-closure is allowed on client connections): the
    /// end of a lingering close, a client going away, or one that sent its request and shut down
    /// its side while it reads the answer (`printf … | nc -N`), as services answer it. A request
    /// it sent whole is answered, then the connection closes (`finishResponse`); an unfinished one
    /// never will be (the close logs it, 499). An event stream ends at once: nobody would read it.
    private func clientFinishedSending(_ context: ChannelHandlerContext) {
        inputEnded = true
        if lingering || !(answering || closing) || (responding && streaming) { context.close(promise: nil) }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            if answering || closing { clientDeadlines.remove(self) }
            exchange?.clientWritable()
        } else if answering || closing {
            // The client is not taking the response: it has the client timeout to start again.
            armClientTimeout()
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        clientDeadlines.remove(self)
        exchange?.clientClosed()
        exchange = nil
        // A request still open here was cut: the client went away, or a stopping gateway's grace
        // period ended first. It gets its access-log line too: with the status sent, or, when
        // nothing was, 499 (nginx's "client closed request").
        if let request { gateway.log(request, status: responding ? status : .init(statusCode: 499), note: cutOff) }
        request = nil
        unparsed = nil
        releaseBody()
        context.fireChannelInactive()
    }

    func apply(_ decision: Gateway.Decision, to request: IncomingRequest) {
        guard let context, context.channel.isActive else { return }
        switch decision {
        case .forward(let app):
            let candidates = gateway.directory.candidates(for: app)
            guard !candidates.isEmpty else { return reply(.problem(.serviceUnavailable, "no instance of \(app) is available")) }
            let exchange = ProxyExchange(client: self, gateway: gateway, pool: pool, request: request, app: app,
                                         candidates: candidates, clientIP: clientIP)
            self.exchange = exchange
            exchange.start()
        case .reply(let reply):
            self.reply(reply)
        case .own(let endpoint):
            let gateway = self.gateway
            respondLater(to: request) { await GatewayEndpoints.respond(endpoint, gateway, request) }
        case .verify(let token, let destination):
            verify(token, then: destination, request)
        }
    }

    private func respondLater(to request: IncomingRequest, _ produce: @escaping @Sendable () async -> GatewayReply) {
        guard let context else { return }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        Task {
            let reply = await produce()
            loop.execute { handler.value.reply(reply) }
        }
    }
}
