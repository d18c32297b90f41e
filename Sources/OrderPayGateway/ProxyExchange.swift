import NIOCore
import NIOHTTP1

/// One request forwarded to a service: picks the instance (round-robin, failing over), sends the
/// request on a pooled keep-alive connection, and relays the response to the client part by part
/// as it arrives, all on the client connection's event loop.
///
/// Failover follows what the instance may have seen: a connection that could not be made (refused,
/// unreachable, connect timeout) never carried the request, so the next instance is tried for any
/// method; a connection lost after the request went out (reset, closed before a response) is
/// retried only for idempotent requests, else 502. No response head within the upstream timeout
/// is 504. Once a response has started, a lost upstream can only end the client connection too.
final class ProxyExchange: LoopDeadlines.Waiter {
    private enum Phase { case connecting, awaitingHead, relaying, finished }

    private let client: GatewayConnectionHandler
    private let gateway: Gateway
    private let pool: UpstreamPool
    private let request: IncomingRequest
    private let app: String
    private let candidates: [ServiceDirectory.Endpoint]
    private let clientIP: String?
    private var attempt = 0
    private var lastFailure = "no instance answered"
    /// 503 when the last instance tried could not be reached; 502 when it dropped the request.
    private var lastFailureStatus = HTTPResponseStatus.serviceUnavailable
    private var phase = Phase.connecting
    private var upstream: UpstreamConnection?
    private var upstreamKeepAlive = true
    private var readingPaused = false
    /// The upstream timeout, kept by the pool's `LoopDeadlines` until the response head arrives.
    private(set) var deadline = NIODeadline.distantFuture
    var deadlineSlot = -1

    init(client: GatewayConnectionHandler, gateway: Gateway, pool: UpstreamPool, request: IncomingRequest, app: String,
         candidates: [ServiceDirectory.Endpoint], clientIP: String?) {
        self.client = client
        self.gateway = gateway
        self.pool = pool
        self.request = request
        self.app = app
        self.candidates = candidates
        self.clientIP = clientIP
    }

    func start() {
        // From now, not from the request's start: a slow upload is not the service's delay.
        deadline = .now() + gateway.settings.upstreamTimeout
        pool.deadlines.add(self)
        tryNextInstance()
    }

    private func tryNextInstance() {
        guard attempt < candidates.count else { return fail(lastFailureStatus, lastFailure) }
        let endpoint = candidates[attempt]
        attempt += 1
        if let idle = pool.take(endpoint) { return send(on: idle, to: endpoint) }
        phase = .connecting
        pool.connect(endpoint).assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(let connection):
                guard phase == .connecting else { return connection.close() }
                send(on: connection, to: endpoint)
            case .failure(let error):
                guard phase == .connecting else { return }
                gateway.directory.markFailed(endpoint)
                lastFailure = "\(app) instance \(endpoint.instanceId) refused the connection"
                lastFailureStatus = .serviceUnavailable
                gateway.logger.warning("upstream refused; trying the next instance",
                                       metadata: ["instance": "\(endpoint.instanceId)", "error": "\(error)"])
                tryNextInstance()
            }
        }
    }

    private func send(on connection: UpstreamConnection, to endpoint: ServiceDirectory.Endpoint) {
        phase = .awaitingHead
        upstream = connection
        request.upstream = endpoint.authority
        let bytes = UpstreamRequest.bytes(request, authority: endpoint.hostHeader, clientAddress: clientIP,
                                          allocator: pool.allocator)
        connection.send(bytes, method: request.head.method, body: UpstreamRequest.separateBody(request), for: self)
    }

    // MARK: - From the upstream connection

    func upstreamHead(_ head: UpstreamHead) {
        guard phase == .awaitingHead else { return }
        pool.deadlines.remove(self)
        phase = .relaying
        upstreamKeepAlive = head.keepAlive
        client.startResponse(relaying: head)
    }

    func upstreamBody(_ chunk: ByteBuffer) {
        guard phase == .relaying else { return }
        client.writeBody(chunk)
        if !client.isWritable && !readingPaused {
            readingPaused = true
            upstream?.setReading(false)
        }
    }

    /// The end of one read from the upstream socket: what was written so far goes out in one
    /// flush (a small response's head, body and end arrive together and leave in one write).
    func upstreamReadComplete() {
        if phase == .relaying { client.flush() }
    }

    /// - Parameter reusable: false when the connection must not carry another request even if
    ///   the response allowed it (bytes followed the response, or the body ended with it).
    func upstreamEnd(reusable: Bool) {
        guard phase == .relaying, let connection = upstream else { return }
        phase = .finished
        upstream = nil
        if readingPaused { connection.setReading(true) }
        if upstreamKeepAlive && reusable { pool.release(connection) } else { connection.close() }
        client.finishResponse()
    }

    /// The connection closed or failed before the response ended.
    func upstreamClosed() {
        let connection = upstream
        upstream = nil
        if phase == .awaitingHead { gateway.directory.markFailed(candidates[attempt - 1]) }
        switch phase {
        case .awaitingHead where request.isIdempotent:
            lastFailure = "\(app) instance \(candidates[attempt - 1].instanceId) dropped the connection"
            lastFailureStatus = .badGateway
            connection?.close()
            tryNextInstance()
        case .awaitingHead:
            connection?.close()
            fail(.badGateway, "\(app) dropped the connection; the request may or may not have been applied (send an Idempotency-Key to make retries safe)")
        case .relaying:
            abortRelay()
        case .connecting, .finished:
            break
        }
    }

    /// The instance answered something the gateway cannot relay (`what`: an upgrade, an oversized
    /// or malformed head): 502 saying so, at once. It did answer, so no other instance is tried,
    /// and "dropped the connection" would send whoever reads the 502 looking in the wrong place.
    func upstreamUnreadable(_ what: String) {
        let connection = upstream
        upstream = nil
        switch phase {
        case .awaitingHead:
            connection?.close()
            gateway.directory.markFailed(candidates[attempt - 1])
            fail(.badGateway, "\(app) instance \(candidates[attempt - 1].instanceId) answered with \(what)")
        case .relaying:
            abortRelay()
        case .connecting, .finished:
            break
        }
    }

    /// A response already begun cannot be finished: the client connection ends too.
    private func abortRelay() {
        phase = .finished
        pool.deadlines.remove(self)
        client.abortResponse()
    }

    // MARK: - From the client connection

    func clientWritable() {
        guard readingPaused else { return }
        readingPaused = false
        upstream?.setReading(true)
    }

    /// The client went away: the upstream connection may be mid-response, so it is not reused.
    func clientClosed() {
        guard phase != .finished else { return }
        phase = .finished
        pool.deadlines.remove(self)
        upstream?.abandon()
        upstream = nil
    }

    func deadlinePassed() {
        guard phase == .connecting || phase == .awaitingHead else { return }
        if attempt > 0 { gateway.directory.markFailed(candidates[attempt - 1]) }
        upstream?.abandon()
        upstream = nil
        fail(.gatewayTimeout, "\(app) did not answer within \(Double(gateway.settings.upstreamTimeout.nanoseconds) / 1e9) s")
    }

    private func fail(_ status: HTTPResponseStatus, _ detail: String) {
        phase = .finished
        pool.deadlines.remove(self)
        client.reply(.problem(status, detail))
    }
}
