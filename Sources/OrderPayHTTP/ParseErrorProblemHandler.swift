import Foundation
import NIOHTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import OrderPayCore

/// Gives a request that does not parse a problem+json answer, as every other error gets.
///
/// Hummingbird answers an `HTTPParserError` with a bare `400` (no body) and closes. This handler
/// sits between the HTTP codec and Hummingbird: it notes the parser's error on its way in, and
/// when Hummingbird then writes that bare 400, writes the problem document in its place. The
/// answer keeps Hummingbird's place in the response stream (after any earlier response has
/// ended) and its `Connection: close`.
public final class ParseErrorProblemHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    private var parseError: HTTPParserError?

    public init() {}

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let error = error as? HTTPParserError { parseError = error }
        context.fireErrorCaught(error)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Hummingbird's answer to it exactly: a 400 of no length that closes (a response to an
        // earlier pipelined request still being written is left alone).
        guard let error = parseError, case .head(let head) = unwrapOutboundIn(data), head.status == .badRequest,
              head.headerFields[.contentLength] == "0", head.headerFields[.connection] == "close" else {
            return context.write(data, promise: promise)
        }
        parseError = nil
        let problem = Self.problem(for: error)
        let body = (try? JSONCoding.encoder.encode(ProblemDetails(problem))) ?? Data()
        var fields = head.headerFields
        fields[.contentType] = ProblemDetails.contentType
        fields[.contentLength] = String(body.count)
        fields[.connection] = "close"
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .init(code: problem.status), headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: body))), promise: promise)
    }

    /// What went wrong, in the words a client can act on. An unknown method is 501 and a head over
    /// the decoder's limits 431, as the gateway answers them; the rest is 400.
    static func problem(for error: HTTPParserError) -> HTTPProblem {
        switch error {
        case .invalidMethod:
            return HTTPProblem(status: 501, detail: "the request's method is not one HTTP defines "
                               + "(this server serves GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS)")
        case .headerOverflow:
            return HTTPProblem(status: 431, detail: "the request's header fields are too large (at most 80 KB, 1,000 fields)")
        case .invalidURL:
            return .badRequest("the request-target is not a valid URL")
        case .invalidVersion:
            return .badRequest("the request line's HTTP version is not valid (HTTP/1.1 is spoken here)")
        case .invalidHeaderToken, .invalidCharactersUsed:
            return .badRequest("a header field's name or value has characters HTTP does not allow")
        case .invalidContentLength, .unexpectedContentLength:
            return .badRequest("the request's Content-Length is not valid, or conflicts with its Transfer-Encoding")
        case .invalidChunkSize:
            return .badRequest("the request's chunked body has an invalid chunk size")
        default:
            return .badRequest("the request is not well-formed HTTP/1.1 (its request line, a header or its body's framing)")
        }
    }
}
