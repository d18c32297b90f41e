import NIOCore
import NIOHTTP1

/// The request headers of a proxy hop: hop-by-hop headers stay behind, this hop's X-Request-Id
/// and traceparent replace the incoming ones, X-Forwarded-For gains the client. (The response's
/// way back is `ResponseEncoding`.)
enum UpstreamHeaders {
    /// The request head for the service (Host is set per instance by `setHost`).
    static func request(_ request: IncomingRequest, body: ByteBuffer?, clientAddress: String?) -> HTTPRequestHead {
        let incoming = request.head.headers
        var headers = HTTPHeaders()
        headers.reserveCapacity(incoming.count + 5)
        headers.add(name: "Host", value: "")
        var forwardedFor: String?
        for (name, value) in incoming {
            if HeaderName.isHopByHop(name) { continue }
            switch name.utf8.count {
            case 4 where HeaderName.equals(name, "host"),
                 6 where HeaderName.equals(name, "expect"),  // the gateway has answered 100-continue itself
                 11 where HeaderName.equals(name, "traceparent"),
                 12 where HeaderName.equals(name, "x-request-id"),
                 14 where HeaderName.equals(name, "content-length"):
                continue
            case 15 where HeaderName.equals(name, "x-forwarded-for"):
                forwardedFor = forwardedFor.map { $0 + ", " + value } ?? value
                continue
            default:
                headers.add(name: name, value: value)
            }
        }
        headers.add(name: TraceHeaders.requestIdName, value: request.trace.requestId)
        headers.add(name: TraceHeaders.traceparentName, value: request.trace.traceparent)
        if let clientAddress {
            headers.add(name: "X-Forwarded-For", value: forwardedFor.map { $0 + ", " + clientAddress } ?? clientAddress)
        } else if let forwardedFor {
            headers.add(name: "X-Forwarded-For", value: forwardedFor)
        }
        // The body was collected, so its length is known: no chunked framing upstream.
        let length = body?.readableBytes ?? 0
        if length > 0 || request.head.method == .POST || request.head.method == .PUT || request.head.method == .PATCH {
            headers.add(name: "Content-Length", value: String(length))
        }
        return HTTPRequestHead(version: .http1_1, method: request.head.method, uri: request.head.uri, headers: headers)
    }

    /// Host is the instance's address: the first header, found at once when failing over.
    static func setHost(_ head: inout HTTPRequestHead, _ authority: String) {
        head.headers.replaceOrAdd(name: "Host", value: authority)
    }
}
