import NIOCore
import NIOHTTP1

/// Reading a request: what its head decides, before any of its body is read.
///
/// The body used to be read whole (up to the 10 MiB limit) before route, token and rate limit were
/// looked at, so unauthenticated clients could make the gateway hold their uploads. Now the head
/// decides everything that needs no body (`Gateway.decide`): a refusal is answered at once, and
/// when the body is still to come the connection then closes, lingering (as for a 413), so none of
/// it is read. A token seen for the first time is verified while the body arrives; if it is
/// refused, the refusal does not wait for the body either. Bodies of requests that will be served
/// are held within the loop's `BodyBudget`.
extension GatewayConnectionHandler {
    func receive(_ part: HTTPServerRequestPart, buffered: Int, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            let request = IncomingRequest(head: head, client: clientIP)
            self.request = request
            verdict = nil
            // The body's first piece gets the full time, the whole body `bodyTimeout`.
            bodyDeadline = .now() + gateway.settings.bodyTimeout
            restartClock()
            if let length = parser.declaredBodyLength, length > gateway.settings.maxBodySize {
                // Refused before the body is sent (no 100 Continue inviting it).
                return refuseOversized(declaredLength: length)
            }
            // Nothing of the body needs to be waited for when it has all been read with the head.
            let bodyToCome = parser.expectsBody && (parser.declaredBodyLength.map { $0 > buffered } ?? true)
            awaitingContinue = bodyToCome && head.version == .http1_1
                && head.headers.first(name: "expect").map { HeaderName.equals($0, "100-continue") } == true
            settle(gateway.decide(request, clientIP: clientIP), request, bodyToCome: bodyToCome)
        case .body(let chunk):
            guard let request else { return }
            awaitingContinue = false   // the client did not wait for it
            // A refusal decided on already, whose body had arrived with its head: dropped.
            if case .reply? = verdict { return restartClock() }
            request.append(chunk, limit: gateway.settings.maxBodySize)
            // A chunked body past the limit is refused at once, not at its end (which a client
            // could put off for as long as it kept sending).
            if request.bodyTooLarge { return refuseOversized(declaredLength: nil) }
            let held = request.body?.readableBytes ?? 0
            if held > bodyReserved {
                guard bodies.reserve(held - bodyReserved) else { return refuseBeforeBody(gateway.refuseBusy()) }
                bodyReserved = held
            }
            restartClock()
        case .end:
            guard let request else { return }
            answering = true
            awaitingContinue = false
            bodyDeadline = .distantFuture
            stopClientTimeout()
            keepAlive = request.head.isKeepAlive
            // Without a verdict yet, the token check answers when it is done (`verified`).
            if let verdict { apply(verdict, to: request) }
        }
    }

    /// What the head decided: a refusal is answered now, unless the body it would leave unread
    /// has already arrived (then the connection can stay open); anything else reads the body.
    private func settle(_ decision: Gateway.Decision, _ request: IncomingRequest, bodyToCome: Bool) {
        switch decision {
        case .reply(let refusal):
            if bodyToCome { return refuseBeforeBody(refusal) }
            verdict = decision
        case .verify(let token, let destination):
            guard reserveDeclaredBody() else { return refuseBeforeBody(gateway.refuseBusy()) }
            verify(token, then: destination, request)
        case .forward, .own:
            guard reserveDeclaredBody() else { return refuseBeforeBody(gateway.refuseBusy()) }
            verdict = decision
            continueIfAwaited()
        }
    }

    /// A body with a Content-Length takes its room in the loop's budget before any of it is read.
    private func reserveDeclaredBody() -> Bool {
        guard let length = parser.declaredBodyLength else { return true }
        guard bodies.reserve(length) else { return false }
        bodyReserved = length
        return true
    }

    /// The request will be served: now the client may send the body it asked to send.
    private func continueIfAwaited() {
        guard awaitingContinue, let context else { return }
        awaitingContinue = false
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
    }

    /// Checks a token seen for the first time off the event loop, while the body (if any) arrives.
    func verify(_ token: String, then destination: Gateway.Destination, _ request: IncomingRequest) {
        guard let context else { return }
        let gateway = self.gateway
        let client = clientIP
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        Task {
            let decision = await gateway.decide(afterVerifying: token, then: destination, clientIP: client)
            loop.execute { handler.value.verified(decision, for: request) }
        }
    }

    /// The token check's outcome: applied if the request has arrived whole; else a refusal is
    /// answered at once (the rest of the body is not read), and an admission awaits the body.
    private func verified(_ decision: Gateway.Decision, for request: IncomingRequest) {
        // The request may have been timed out or cut off meanwhile.
        guard let context, context.channel.isActive, self.request === request, !closing else { return }
        if answering { return apply(decision, to: request) }
        if case .reply(let refusal) = decision { return refuseBeforeBody(refusal) }
        verdict = decision
        continueIfAwaited()
    }

    /// Answers the request before its body has been read (or all of it): the connection then
    /// closes, lingering, as the rest of the body is not read.
    func refuseBeforeBody(_ refusal: GatewayReply) {
        answering = true
        awaitingContinue = false
        keepAlive = false
        lingerOnClose = true
        stopClientTimeout()
        reply(refusal)
    }

    /// The current request's body no longer counts against the loop's budget.
    func releaseBody() {
        bodies.release(bodyReserved)
        bodyReserved = 0
        bodyDeadline = .distantFuture
    }
}
