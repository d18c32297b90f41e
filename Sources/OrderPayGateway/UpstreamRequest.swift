import Foundation
import NIOCore
import NIOHTTP1

/// The request as a service receives it, serialized by the gateway straight from the client's
/// parsed head: hop-by-hop headers (and those the Connection header names) stay behind, Host names the instance, this hop's X-Request-Id
/// and traceparent replace the incoming ones, X-Forwarded-For gains the client, and the collected
/// body gets its Content-Length. (The way back is `ResponseEncoding`.) Writing the bytes directly
/// saves building an HTTPHeaders copy and NIO's HTTPRequestEncoder pass over it on every request.
enum UpstreamRequest {
    /// Bodies up to this size travel in the same buffer as the head (one iovec, one copy).
    static let inlineBodyLimit = 16 << 10

    static func bytes(_ request: IncomingRequest, authority: String, clientAddress: String?,
                      allocator: ByteBufferAllocator) -> ByteBuffer {
        let head = request.head
        let body = request.body
        let length = body?.readableBytes ?? 0
        var buffer = allocator.buffer(capacity: 512 + head.uri.utf8.count + (length <= inlineBodyLimit ? length : 0))
        buffer.writeString(head.method.rawValue)
        buffer.writeStaticString(" ")
        buffer.writeString(head.uri)
        buffer.writeStaticString(" HTTP/1.1\r\nHost: ")
        buffer.writeString(authority)
        buffer.writeStaticString("\r\n")
        var forwardedFor: String?
        let nominated = connectionOptions(head.headers)
        for (name, value) in head.headers {
            if HeaderName.isHopByHop(name) { continue }
            if let nominated, nominated.contains(name.lowercased()) { continue }
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
                write(name, value, into: &buffer)
            }
        }
        write(TraceHeaders.requestIdName, request.trace.requestId, into: &buffer)
        write(TraceHeaders.traceparentName, request.trace.traceparent, into: &buffer)
        if let chain = clientAddress.map({ client in forwardedFor.map { $0 + ", " + client } ?? client }) ?? forwardedFor {
            write("X-Forwarded-For", chain, into: &buffer)
        }
        // The body was collected, so its length is known: no chunked framing upstream.
        if length > 0 || head.method == .POST || head.method == .PUT || head.method == .PATCH {
            write("Content-Length", String(length), into: &buffer)
        }
        buffer.writeStaticString("\r\n")
        if let body, length <= inlineBodyLimit { buffer.writeImmutableBuffer(body) }
        return buffer
    }

    /// The header names the request's Connection header lists besides close and keep-alive
    /// (lowercased): hop-by-hop like Connection itself (RFC 9110 §7.6.1). nil when there are
    /// none, as on nearly every request, so the common case allocates nothing.
    static func connectionOptions(_ headers: HTTPHeaders) -> Set<String>? {
        var names: Set<String>?
        for (name, value) in headers where HeaderName.equals(name, "connection") {
            for token in value.split(separator: ",") {
                let option = token.trimmingCharacters(in: .whitespaces).lowercased()
                guard !option.isEmpty, option != "close", option != "keep-alive" else { continue }
                names = (names ?? []).union([option])
            }
        }
        return names
    }

    /// The body when it is too large to have been copied behind the head by `bytes`.
    static func separateBody(_ request: IncomingRequest) -> ByteBuffer? {
        guard let body = request.body, body.readableBytes > inlineBodyLimit else { return nil }
        return body
    }

    private static func write(_ name: String, _ value: String, into buffer: inout ByteBuffer) {
        buffer.writeString(name)
        buffer.writeStaticString(": ")
        buffer.writeString(value)
        buffer.writeStaticString("\r\n")
    }
}
