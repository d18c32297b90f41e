import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1
import OrderPayCore

/// HTTP/1 rules a service's server keeps that Hummingbird does not, applied where the request's
/// version is still known (before `HTTP1ToHTTPServerCodec`, which drops it):
///
/// - A request that does not ask to keep the connection (HTTP/1.0 without `keep-alive`, or
///   `Connection: close` in any case or list) gets `Connection: close` on its response and the
///   connection closes after it. Hummingbird closed only on a literal `close`, so an HTTP/1.0
///   client reading to the end of the response waited out the idle timeout.
/// - An HTTP/1.0 request is answered as HTTP/1.0: a body without a length is then ended by the
///   close (never chunked, which such a client cannot read), and a kept connection says
///   `Connection: keep-alive`, as HTTP/1.0 clients expect.
/// - Transfer codings as the gateway takes them: a body whose codings do not end in chunked has
///   no knowable length (400, RFC 9112 §6.3), as has a second Transfer-Encoding field; codings
///   besides chunked are 501; more than one `Host`, none in HTTP/1.1, or a request target that
///   is not a path (`GET health`) is 400 (RFC 9112 §3.2), as at the gateway. The refusal waits for
///   earlier pipelined responses to end, nothing is read or written after it, and the
///   connection closes.
public final class HTTP1ConnectionRules: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPServerRequestPart
    public typealias InboundOut = HTTPServerRequestPart
    public typealias OutboundIn = HTTPServerResponsePart
    public typealias OutboundOut = HTTPServerResponsePart

    /// A request passed on and not yet answered to its end.
    private struct Pending {
        var version: HTTPVersion
        var keepAlive: Bool
    }

    private var pending: [Pending] = []
    /// Parts of the request being read go on only if its head did.
    private var forwardingRequest = false
    /// Once a request closes the connection (or is refused), later ones are not read.
    private var stopped = false
    private var refusal: (status: HTTPResponseStatus, detail: String)?
    private var refused = false

    public init() {}

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        guard case .head(var head) = part else {
            if forwardingRequest { context.fireChannelRead(data) }
            if case .end = part { forwardingRequest = false }
            return
        }
        guard !stopped else { return }
        if let problem = Self.refusal(of: head) {
            stopped = true
            refusal = problem
            if pending.isEmpty { refuse(context: context) }
            return
        }
        let keepAlive = head.isKeepAlive
        if !keepAlive {
            head.headers.replaceOrAdd(name: "Connection", value: "close")   // the spelling Hummingbird closes on
            stopped = true
        }
        pending.append(Pending(version: head.version, keepAlive: keepAlive))
        forwardingRequest = true
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    /// The decoder's complaint about a request already refused (llhttp reports a coding it cannot
    /// frame after handing over the head) would have Hummingbird answer it a second time.
    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        if error is HTTPParserError, refusal != nil || refused { return }
        context.fireErrorCaught(error)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !refused else { promise?.fail(ChannelError.outputClosed); return }
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.code >= 200 && !pending.isEmpty:
            let request = pending[0]
            if request.version == .http1_0 {
                head.version = .http1_0
                // Without a length, an HTTP/1.0 body ends only with the connection.
                if request.keepAlive && !head.headers.contains(name: "Content-Length") { pending[0].keepAlive = false }
            }
            if !pending[0].keepAlive {
                head.headers.replaceOrAdd(name: "Connection", value: "close")
            } else if request.version == .http1_0 {
                head.headers.replaceOrAdd(name: "Connection", value: "keep-alive")
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .head(var head):
            if pending.first?.version == .http1_0 { head.version = .http1_0 }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            let finished = pending.isEmpty ? nil : pending.removeFirst()
            if finished?.keepAlive == false {
                // Closed here too: a close decided at the response (an HTTP/1.0 body without a
                // length) is one Hummingbird does not know of.
                stopped = true
                let written = promise ?? context.eventLoop.makePromise()
                context.writeAndFlush(data, promise: written)
                written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            } else {
                context.write(data, promise: promise)
            }
            if pending.isEmpty, refusal != nil { refuse(context: context) }
        default:
            context.write(data, promise: promise)
        }
    }

    private func refuse(context: ChannelHandlerContext) {
        guard let (status, detail) = refusal else { return }
        refusal = nil
        let body = (try? JSONCoding.encoder.encode(ProblemDetails(HTTPProblem(status: Int(status.code), detail: detail)))) ?? Data()
        let head = HTTPResponseHead(version: .http1_1, status: status, headers: [
            "Content-Type": ProblemDetails.contentType, "Content-Length": String(body.count), "Connection": "close",
        ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        refused = true
    }

    static func refusal(of head: HTTPRequestHead) -> (HTTPResponseStatus, String)? {
        let fields = head.headers["Transfer-Encoding"]
        if fields.count > 1 {
            return (.badRequest, "the request has more than one Transfer-Encoding header")
        }
        let codings = head.headers[canonicalForm: "Transfer-Encoding"].map { $0.lowercased() }
        if let last = codings.last, last != "chunked" {
            return (.badRequest, "the request body's length cannot be known: its Transfer-Encoding does not end in chunked")
        }
        if codings.count > 1 {
            return (.notImplemented, "the request body's Transfer-Encoding may only be chunked")
        }
        if head.headers["Host"].count > 1 {
            return (.badRequest, "the request has more than one Host header")
        }
        // RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request without Host (HTTP/1.0 had none).
        if head.version == .http1_1 && head.headers["Host"].isEmpty {
            return (.badRequest, "an HTTP/1.1 request needs a Host header")
        }
        if !isRoutableTarget(head.uri, method: head.method) {
            return (.badRequest, "the request target must be a path starting with / (or an absolute http(s) URL; * only for OPTIONS)")
        }
        return nil
    }

    /// Origin-form (`/path?query`), absolute-form (`http://host/path`, as clients of a proxy send
    /// it) or `*` for OPTIONS (RFC 9112 §3.2). `health` was routed as if it were a path and
    /// answered 404 "no route", as if it were a good request for a missing thing.
    static func isRoutableTarget(_ target: String, method: HTTPMethod) -> Bool {
        if target.hasPrefix("/") { return true }
        if target == "*" { return method == .OPTIONS }
        let lowered = target.lowercased()
        return lowered.hasPrefix("http://") || lowered.hasPrefix("https://")
    }

    /// Hummingbird's extra handlers come after the codec; this puts the rules before it.
    public final class Installer: ChannelInboundHandler, RemovableChannelHandler {
        public typealias InboundIn = NIOAny

        public init() {}

        public func handlerAdded(context: ChannelHandlerContext) {
            let pipeline = context.pipeline.syncOperations
            do {
                let codec = try pipeline.handler(type: HTTP1ToHTTPServerCodec.self)
                try pipeline.addHandler(HTTP1ConnectionRules(), position: .before(codec))
            } catch {
                context.fireErrorCaught(error)
            }
            pipeline.removeHandler(context: context, promise: nil)
        }
    }
}
