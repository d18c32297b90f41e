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
/// - A body in a transfer coding besides chunked is refused with 501, as the gateway refuses it
///   (the body's length cannot be known; it was read as a body too large, 413), and more than
///   one `Host` with 400 (RFC 9112 §3.2). The refusal waits for earlier pipelined responses to
///   end, and the connection then closes.
public final class HTTP1ConnectionRules: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPServerRequestPart
    public typealias InboundOut = HTTPServerRequestPart
    public typealias OutboundIn = HTTPServerResponsePart
    public typealias OutboundOut = HTTPServerResponsePart

    /// For each request passed on and not yet answered to its end: whether to close after it.
    private var closeAfter: [Bool] = []
    /// Parts of the request being read go on only if its head did.
    private var forwardingRequest = false
    /// Once a request closes the connection (or is refused), later ones are not read.
    private var stopped = false
    private var refusal: (status: HTTPResponseStatus, detail: String)?

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
            if closeAfter.isEmpty { refuse(context: context) }
            return
        }
        let keepAlive = head.isKeepAlive
        if !keepAlive {
            head.headers.replaceOrAdd(name: "Connection", value: "close")   // the spelling Hummingbird closes on
            stopped = true
        }
        closeAfter.append(!keepAlive)
        forwardingRequest = true
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where closeAfter.first == true:
            head.headers.replaceOrAdd(name: "Connection", value: "close")
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            context.write(data, promise: promise)
            if !closeAfter.isEmpty { closeAfter.removeFirst() }
            if closeAfter.isEmpty, refusal != nil { refuse(context: context) }
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
    }

    static func refusal(of head: HTTPRequestHead) -> (HTTPResponseStatus, String)? {
        let codings = head.headers[canonicalForm: "Transfer-Encoding"]
        if !codings.isEmpty, codings.last?.lowercased() != "chunked" || codings.dropLast().contains(where: { $0.lowercased() == "chunked" }) {
            return (.notImplemented, "the request body's Transfer-Encoding may only be chunked")
        }
        if head.headers["Host"].count > 1 {
            return (.badRequest, "the request has more than one Host header")
        }
        return nil
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
