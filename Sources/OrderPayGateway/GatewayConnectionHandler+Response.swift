import NIOCore
import NIOHTTP1

/// Writing the response to the current request: the gateway's own, or a service's relayed.
extension GatewayConnectionHandler {
    /// A whole response from the gateway: written and flushed at once.
    func reply(_ reply: GatewayReply) {
        var headers = reply.headers
        headers.add(name: "Content-Length", value: String(reply.body.readableBytes))
        startResponse(reply.status, headers: headers)
        writeBody(reply.body)
        finishResponse()
    }

    /// Writes (without flushing) the head of the gateway's own response to the current request.
    func startResponse(_ status: HTTPResponseStatus, headers: HTTPHeaders) {
        writeHead(status) { encoding, request, keepAlive, buffer in
            encoding.head(status, headers: headers, for: request, keepAlive: &keepAlive, into: &buffer)
        }
    }

    /// Writes (without flushing) the head of a service's response to the current request.
    func startResponse(relaying head: UpstreamHead) {
        writeHead(HTTPResponseStatus(statusCode: head.status)) { encoding, request, keepAlive, buffer in
            encoding.head(relaying: head, for: request, keepAlive: &keepAlive, into: &buffer)
        }
        streaming = head.eventStream
        streamTail = EventStreamTail()
        endStreamIfQuiescing()
    }

    /// A stopping gateway waits for responses in progress, but an event stream would hold it
    /// for the whole grace period: it ends instead, properly (with the chunked body's last
    /// chunk), once the event being relayed is through, and the client resumes from its last
    /// event id elsewhere. (A stream stalled inside an event, or one with a Content-Length, is
    /// cut when the grace period ends.)
    func endStreamIfQuiescing() {
        guard quiescing, responding, streaming, encoding.canEndEarly, streamTail.atEventBoundary else { return }
        endStream()
    }

    /// The service's response has not ended, so its connection is not reused.
    private func endStream() {
        exchange?.clientClosed()
        keepAlive = false
        finishResponse()
    }

    private func writeHead(_ status: HTTPResponseStatus,
                           _ encode: (inout ResponseEncoding, IncomingRequest, inout Bool, inout ByteBuffer) -> Void) {
        guard context != nil, let request else { return }
        self.status = status
        responding = true
        streaming = false
        if quiescing { keepAlive = false }
        var buffer = allocator.buffer(capacity: 1024)
        encoding = ResponseEncoding()
        encode(&encoding, request, &keepAlive, &buffer)
        pendingHead = buffer
    }

    /// Bodies up to this size are copied behind a head still held back.
    static let coalesceLimit = 4096

    func writeBody(_ chunk: ByteBuffer) {
        guard streaming && quiescing && encoding.canEndEarly else {
            if streaming { streamTail.append(chunk) }
            return relay(chunk)
        }
        guard let length = streamTail.appendToEventEnd(chunk) else { return relay(chunk) }
        relay(chunk.getSlice(at: chunk.readerIndex, length: length)!)
        endStream()
    }

    private func relay(_ chunk: ByteBuffer) {
        guard let context, let bytes = encoding.body(chunk, allocator: allocator) else { return }
        write(bytes, context: context)
    }

    private func write(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        if var head = pendingHead {
            pendingHead = nil   // so the buffer is not shared while it grows
            if bytes.readableBytes <= Self.coalesceLimit {
                head.writeImmutableBuffer(bytes)
                pendingHead = head
                return
            }
            context.write(wrapOutboundOut(head), promise: nil)
        }
        context.write(wrapOutboundOut(bytes), promise: nil)
    }

    func flush() {
        guard let context else { return }
        writePendingHead(context)
        context.flush()
    }

    private func writePendingHead(_ context: ChannelHandlerContext) {
        if let head = pendingHead {
            pendingHead = nil
            context.write(wrapOutboundOut(head), promise: nil)
        }
    }

    /// The response's end: flushed with whatever is still unflushed, then the request is done.
    func finishResponse() {
        guard let context else { return }
        forgetRequest()
        responding = false
        if let end = encoding.end {
            if var head = pendingHead {
                pendingHead = nil
                head.writeStaticString(end)
                pendingHead = head
            } else {
                context.write(wrapOutboundOut(ByteBuffer(staticString: end)), promise: nil)
            }
        }
        // A client that has stopped sending is done once its last request whole is answered.
        if keepAlive && !quiescing && !(inputEnded && unparsed == nil) {
            writePendingHead(context)
            context.flush()
            armClientTimeout()
            if unparsed != nil {
                // Not from inside this call: it may be deep in the previous response's callbacks.
                let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
                context.eventLoop.execute { handler.value.receivePipelined() }
            }
        } else {
            closing = true
            writePendingHead(context)
            context.writeAndFlush(wrapOutboundOut(ByteBuffer())).assumeIsolated().whenComplete { _ in self.closeAfterResponse(context) }
        }
    }

    /// The service's response broke off after it had started: the client can only see the
    /// connection end (a truncated body must not look complete).
    func abortResponse() {
        guard let context else { return }
        // `responding` stays set: the connection is closing mid-response, so no 400 may follow.
        pendingHead = nil
        forgetRequest()
        context.close(promise: nil)
    }

    /// The request is over, however it ended: its access-log line, then the handler lets it go.
    func forgetRequest() {
        if let request { gateway.log(request, status: status) }
        request = nil
        verdict = nil
        exchange = nil
        answering = false
        releaseBody()
    }
}
