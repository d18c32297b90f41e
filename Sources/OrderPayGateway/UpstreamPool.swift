import NIOCore
import NIOHTTP1
import NIOPosix

/// Keep-alive connections to service instances, one pool per event loop: a proxied request takes
/// a connection on the loop that serves its client, so it never changes threads, and the pool
/// needs no lock because only its own loop touches it (hence `@unchecked Sendable`: it is handed
/// to the channel initializers of its loop's connections, which run on that loop).
final class UpstreamPool: @unchecked Sendable {
    let eventLoop: EventLoop
    let connectTimeout: TimeAmount
    let maxIdlePerInstance: Int
    /// See `Gateway.Settings.upstreamIdleReuse`.
    let maxIdleAge: TimeAmount
    let allocator = ByteBufferAllocator()
    /// The upstream timeouts of this loop's exchanges.
    let deadlines: LoopDeadlines
    /// Idle connections by instance address, most recently used last. A class per instance, so
    /// taking and returning one changes its list in place: through the dictionary's modify
    /// accessor each `popLast` and `append` cost heap allocations, on every proxied request.
    private final class IdleList {
        var connections: [UpstreamConnection] = []
    }
    private var idle: [String: IdleList] = [:]
    private var closed = false

    init(eventLoop: EventLoop, connectTimeout: TimeAmount, upstreamTimeout: TimeAmount, maxIdlePerInstance: Int,
         maxIdleAge: TimeAmount) {
        self.maxIdleAge = maxIdleAge
        self.eventLoop = eventLoop
        // A tenth of the timeout, at most 100 ms late.
        deadlines = LoopDeadlines(eventLoop: eventLoop, tick: min(.milliseconds(100), .nanoseconds(upstreamTimeout.nanoseconds / 10)))
        self.connectTimeout = connectTimeout
        self.maxIdlePerInstance = maxIdlePerInstance
    }


    /// An idle connection to `endpoint`, if there is one still open and recently used.
    func take(_ endpoint: ServiceDirectory.Endpoint) -> UpstreamConnection? {
        eventLoop.assertInEventLoop()
        let now = NIODeadline.now()
        guard let list = idle[endpoint.authority] else { return nil }
        while let connection = list.connections.popLast() {
            guard connection.isOpen else { continue }
            if now < connection.idleSince + maxIdleAge { return connection }
            // The most recently used one is too old, so are the others.
            connection.close()
            for stale in list.connections { stale.close() }
            list.connections.removeAll()
        }
        return nil
    }

    /// A new connection to `endpoint`; a failure means the instance never saw a request.
    func connect(_ endpoint: ServiceDirectory.Endpoint) -> EventLoopFuture<UpstreamConnection> {
        let connection = NIOLoopBound(UpstreamConnection(pool: self, key: endpoint.authority), eventLoop: eventLoop)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                do {
                    // Request bytes are written by the gateway (UpstreamRequest), responses read by
                    // the connection itself (UpstreamResponseParser): no HTTP codec handlers.
                    try channel.pipeline.syncOperations.addHandler(connection.value)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        let connecting = endpoint.socketAddress.map { bootstrap.connect(to: $0) } ?? bootstrap.connect(host: endpoint.host, port: endpoint.port)
        return connecting.map { _ in connection.value }
    }

    /// Keeps a connection whose response ended for the next request, unless enough are idle.
    func release(_ connection: UpstreamConnection) {
        eventLoop.assertInEventLoop()
        guard !closed, connection.isOpen else { return connection.close() }
        let list = idle[connection.key] ?? {
            let list = IdleList()
            idle[connection.key] = list
            return list
        }()
        guard list.connections.count < maxIdlePerInstance else {
            connection.close()
            return
        }
        connection.idleSince = .now()
        list.connections.append(connection)
    }

    /// An idle connection the instance closed (it stopped, or timed the connection out).
    func forget(_ connection: UpstreamConnection) {
        idle[connection.key]?.connections.removeAll { $0 === connection }
    }

    /// Closes the idle connections; connections in use close when their exchange ends.
    func close() {
        eventLoop.assertInEventLoop()
        closed = true
        let all = idle.values.flatMap(\.connections)
        idle = [:]
        for connection in all { connection.close() }
    }
}

/// The gateway's end of one keep-alive connection to a service instance: sends an exchange's
/// request and hands it the response parts; while idle in the pool, notices when the instance
/// closes it. Lives on its pool's event loop.
final class UpstreamConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let pool: UpstreamPool
    let key: String
    /// When it went back to the pool.
    var idleSince = NIODeadline.uptimeNanoseconds(0)
    /// The exchange whose response this connection is reading; nil while idle.
    private var exchange: ProxyExchange?
    private var context: ChannelHandlerContext?
    private var parser = UpstreamResponseParser()
    /// Bytes read but not yet parsed: a head or chunk-size line that has not all arrived.
    private var unparsed: ByteBuffer?

    init(pool: UpstreamPool, key: String) {
        self.pool = pool
        self.key = key
    }

    var isOpen: Bool { context?.channel.isActive ?? false }

    /// The channel's, kept: `context.channel` costs a retain and release on every use.
    private var allocator = ByteBufferAllocator()

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        allocator = context.channel.allocator
    }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Sends a request serialized by `UpstreamRequest` (with its body when that is kept apart).
    func send(_ bytes: ByteBuffer, method: HTTPMethod, body: ByteBuffer?, for exchange: ProxyExchange) {
        guard let context else { return exchange.upstreamClosed() }
        self.exchange = exchange
        parser.expect(headRequest: method == .HEAD)
        unparsed = nil
        if let body {
            context.write(wrapOutboundOut(bytes), promise: nil)
            context.writeAndFlush(wrapOutboundOut(body), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        }
    }

    /// Backpressure: stops reading the response while the client cannot take more of it.
    func setReading(_ reading: Bool) {
        guard let options = context?.channel.syncOptions else { return }
        _ = try? options.setOption(ChannelOptions.autoRead, value: reading)
    }

    /// Detaches the exchange and closes: the connection is in an unknown state.
    func abandon() {
        exchange = nil
        close()
    }

    func close() { context?.close(promise: nil) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        HTTPBytes.prepend(&unparsed, to: &buffer)
        // The exchange is looked up again after each part: handing one over may end it.
        while let exchange {
            let event: UpstreamResponseParser.Event?
            do {
                event = try parser.next(&buffer, allocator: allocator)
            } catch {
                return failed(context: context, answered: (error as? MalformedHTTP)?.reason ?? "a response that is not well-formed HTTP")
            }
            switch event {
            case .head(let head): exchange.upstreamHead(head)
            case .body(let chunk): exchange.upstreamBody(chunk)
            case .end:
                self.exchange = nil
                // Bytes past the response's end were never asked for: the connection cannot be trusted.
                exchange.upstreamEnd(reusable: buffer.readableBytes == 0)
                return
            case nil:
                if buffer.readableBytes > 0 { unparsed = buffer }
                return
            }
        }
        // A response nobody asked for (or the rest of one whose exchange is gone).
        if buffer.readableBytes > 0 { context.close(promise: nil) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        exchange?.upstreamReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let exchange {
            self.exchange = nil
            // A body without a length ends with the connection; anything else was cut short.
            if parser.endsWithConnection && unparsed == nil {
                exchange.upstreamEnd(reusable: false)
            } else {
                exchange.upstreamClosed()
            }
        } else {
            pool.forget(self)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        failed(context: context)
    }

    /// A response that does not parse (`answered` says how), or a connection error: the exchange
    /// learns that the connection is gone (it retries or fails), and the connection closes.
    private func failed(context: ChannelHandlerContext, answered: String? = nil) {
        if let exchange {
            self.exchange = nil
            if let answered { exchange.upstreamUnreadable(answered) } else { exchange.upstreamClosed() }
        }
        context.close(promise: nil)
    }
}
