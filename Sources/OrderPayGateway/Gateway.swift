import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import OrderPayCore
import OrderPayServices

/// The API gateway: authenticates at the edge, rate-limits per client, and proxies to a service
/// instance chosen round-robin from the registry, failing over to the next one when an instance
/// refuses the connection.
public final class Gateway: @unchecked Sendable {
    public struct Settings: Sendable {
        public var upstreamTimeout: TimeAmount = .seconds(30)
        public var maxBodySize = 10 << 20
        public var rateLimit: Double = 200
        public var rateBurst: Double = 400
        public init() {}
    }

    let directory: ServiceDirectory
    let tokens: TokenService
    let limiter: RateLimiter?
    let http: HTTPClient
    let settings: Settings
    let logger: Logger

    public init(directory: ServiceDirectory, tokens: TokenService, settings: Settings = Settings(), http: HTTPClient = .shared, logger: Logger) {
        self.directory = directory
        self.tokens = tokens
        self.settings = settings
        self.limiter = settings.rateLimit > 0 ? RateLimiter(rate: settings.rateLimit, burst: settings.rateBurst) : nil
        self.http = http
        self.logger = logger
    }

    /// Runs Swift concurrency's global executor on NIO's event loops (the threads that already
    /// serve the sockets) instead of a second pool of as many threads: a proxied request then
    /// stays on the event loop that accepted it, through the handler, the upstream connection
    /// (the client prefers one on the current loop) and the response, rather than hopping between
    /// four threads on two cores. Process-wide and once only, so `orderpay serve gateway` calls it
    /// first thing; set ORDERPAY_GATEWAY_EXECUTOR=pool to keep the cooperative pool, and
    /// ORDERPAY_GATEWAY_THREADS=N for N event loops instead of one per core.
    @discardableResult
    public static func runConcurrencyOnEventLoops() -> Bool {
        if let threads = ProcessInfo.processInfo.environment["ORDERPAY_GATEWAY_THREADS"].flatMap(Int.init), threads > 0 {
            NIOSingletons.groupLoopCountSuggestion = threads
        }
        guard ProcessInfo.processInfo.environment["ORDERPAY_GATEWAY_EXECUTOR"] != "pool" else { return false }
        return NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                                        "trailer", "transfer-encoding", "upgrade", "host", "content-length"]
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    public func handle(_ request: Request, context: GatewayContext) async throws -> Response {
        let trace = TraceHeaders(request.headers)
        let started = ContinuousClock.now
        var response = await route(request, context: context, trace: trace)
        response.headers[TraceHeaders.requestIdName] = trace.requestId
        response.headers[TraceHeaders.traceparentName] = trace.traceparent
        let elapsed = ContinuousClock.now - started
        logger.info("\(request.method.rawValue) \(request.uri.path) \(response.status.code)", metadata: [
            "requestId": "\(trace.requestId)", "ms": "\(elapsed.components.attoseconds / 1_000_000_000_000_000 + elapsed.components.seconds * 1000)",
        ])
        return response
    }

    func route(_ request: Request, context: GatewayContext, trace: TraceHeaders) async -> Response {
        let path = request.uri.path
        guard let app = GatewayRoutes.app(for: path) else {
            return JSONResponses.problem(.notFound, "no route for \(path)")
        }
        var user: OrderPayCore.Actor?
        if !GatewayRoutes.isPublic(method: request.method.rawValue, path: path) {
            do {
                user = try await tokens.verify(Self.bearer(request.headers) ?? "")
            } catch let error as AppError {
                return JSONResponses.problem(error.kind == .forbidden ? .forbidden : .unauthorized, error.message,
                                             headers: [.wwwAuthenticate: "Bearer"])
            } catch {
                return JSONResponses.problem(.unauthorized, "invalid access token", headers: [.wwwAuthenticate: "Bearer"])
            }
        }
        // The client's key is only built when there is a limiter to ask.
        if let limiter, let wait = limiter.retryAfter(for: user.map { "user:" + ($0.userId.map(String.init) ?? $0.email) }
                                                      ?? "ip:" + (context.remoteAddress?.ipAddress ?? "unknown")) {
            return JSONResponses.problem(.tooManyRequests, "rate limit exceeded; retry in \(Int(wait.rounded(.up))) s",
                                         headers: [.retryAfter: String(max(1, Int(wait.rounded(.up))))])
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: settings.maxBodySize)
        } catch {
            return JSONResponses.problem(.contentTooLarge, "request body larger than \(settings.maxBodySize) bytes")
        }
        return await forward(request, body: body, to: app, clientAddress: context.remoteAddress?.ipAddress, trace: trace)
    }

    func forward(_ request: Request, body: ByteBuffer, to app: String, clientAddress: String?, trace: TraceHeaders) async -> Response {
        let candidates = directory.candidates(for: app)
        guard !candidates.isEmpty else { return JSONResponses.problem(.serviceUnavailable, "no instance of \(app) is available") }
        let idempotent = request.method == .get || request.method == .head
            || (request.method == .post && request.headers[Self.idempotencyKey] != nil)
        // Built once for every candidate: the target, method, headers and body do not change.
        let target = request.uri.string
        let slash = target.utf8.first == UInt8(ascii: "/")
        let method = HTTPMethod(rawValue: request.method.rawValue)
        var headers = HTTPHeaders()
        headers.reserveCapacity(request.headers.count + 3)
        for field in request.headers {
            // X-Request-Id and traceparent are replaced by this hop's values below.
            if field.name == TraceHeaders.requestIdName || field.name == TraceHeaders.traceparentName { continue }
            if Self.hopByHop.contains(field.name.canonicalName) { continue }
            headers.add(name: field.name.rawName, value: field.value)
        }
        headers.add(name: "X-Request-Id", value: trace.requestId)
        headers.add(name: "traceparent", value: trace.traceparent)
        if let clientAddress { headers.add(name: "X-Forwarded-For", value: clientAddress) }
        var lastFailure = "no instance answered"
        for endpoint in candidates {
            var upstream = HTTPClientRequest(url: slash ? endpoint.baseURL + target : endpoint.baseURL + "/" + target)
            upstream.method = method
            upstream.headers = headers
            if body.readableBytes > 0 { upstream.body = .bytes(body) }
            do {
                let response = try await http.execute(upstream, timeout: settings.upstreamTimeout)
                return await Self.relay(response)
            } catch {
                switch Self.classify(error) {
                case .refused:
                    lastFailure = "\(app) instance \(endpoint.instanceId) refused the connection"
                    logger.warning("upstream refused; trying the next instance", metadata: ["instance": "\(endpoint.instanceId)"])
                    continue
                case .reset where idempotent:
                    lastFailure = "\(app) instance \(endpoint.instanceId) dropped the connection"
                    continue
                case .reset:
                    return JSONResponses.problem(.badGateway, "\(app) dropped the connection; the request may or may not have been applied (send an Idempotency-Key to make retries safe)")
                case .timeout:
                    return JSONResponses.problem(.gatewayTimeout, "\(app) did not answer within \(Double(settings.upstreamTimeout.nanoseconds) / 1e9) s")
                }
            }
        }
        return JSONResponses.problem(.serviceUnavailable, lastFailure)
    }

    /// Streams the upstream body through as it arrives (server-sent events are never buffered).
    ///
    /// One shortcut: when the upstream declared a Content-Length and its first chunk is the whole
    /// body (a small JSON answer arrives with its head), head, body and end go to the client in
    /// one write instead of three. The head then waits for that first chunk, never for more; a
    /// body without a length (a stream) or longer than its first chunk is streamed as before.
    static func relay(_ upstream: HTTPClientResponse) async -> Response {
        var headers = HTTPFields()
        headers.reserveCapacity(upstream.headers.count)
        var contentLength: Int?
        for header in upstream.headers {
            // HTTPField.Name lowercases once (no lowercased() copy per header).
            guard let name = HTTPField.Name(header.name) else { continue }
            if name == .contentLength { contentLength = Int(header.value); continue }
            if hopByHop.contains(name.canonicalName) { continue }
            headers.append(HTTPField(name: name, value: header.value))
        }
        let status = HTTPResponse.Status(code: Int(upstream.status.code))
        let body = BodyIterator(upstream.body.makeAsyncIterator())
        var first: ByteBuffer?
        if let contentLength {
            do {
                if contentLength == 0 {
                    if try await body.next() == nil { return Response(status: status, headers: headers, body: .init()) }
                } else if let chunk = try await body.next() {
                    if chunk.readableBytes == contentLength, try await body.next() == nil {
                        return Response(status: status, headers: headers, body: .init(byteBuffer: chunk))
                    }
                    first = chunk
                }
            } catch {
                return Response(status: status, headers: headers, body: ResponseBody(contentLength: contentLength) { _ in throw error })
            }
        }
        let pending = first
        return Response(status: status, headers: headers,
                        body: ResponseBody(contentLength: contentLength) { writer in
                            if let pending { try await writer.write(pending) }
                            while let chunk = try await body.next() { try await writer.write(chunk) }
                            try await writer.finish(nil)
                        })
    }

    /// The upstream body's iterator, handed from `relay` to the response body that finishes it
    /// (only one of them reads at a time).
    final class BodyIterator: @unchecked Sendable {
        private var iterator: HTTPClientResponse.Body.AsyncIterator
        init(_ iterator: HTTPClientResponse.Body.AsyncIterator) { self.iterator = iterator }
        func next() async throws -> ByteBuffer? { try await iterator.next() }
    }

    enum Failure { case refused, reset, timeout }

    /// Only an instance that never got the request (connection refused, no route, connect
    /// timeout) is `.refused` and safe to skip for any method; a connection lost after the request
    /// may have gone out (reset, closed mid-response, TLS/HTTP errors) is `.reset`, retried only
    /// for idempotent requests. (Matching "connect" in the description classified "connection
    /// reset by peer" as refused, so a POST without an Idempotency-Key could be applied twice.)
    static func classify(_ error: Error) -> Failure {
        if let client = error as? HTTPClientError {
            switch client {
            case .deadlineExceeded, .readTimeout, .writeTimeout: return .timeout
            case .connectTimeout: return .refused
            default: return .reset
            }
        }
        if error is NIOConnectionError { return .refused }
        if let channel = error as? ChannelError, case .connectTimeout = channel { return .refused }
        if let io = error as? IOError {
            return [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL].contains(io.errnoCode) ? .refused : .reset
        }
        return "\(error)".contains("Connection refused") ? .refused : .reset
    }

    /// The token of `Authorization: Bearer <token>` (on every request: no Foundation string calls).
    static func bearer(_ headers: HTTPFields) -> String? {
        guard let value = headers[.authorization], value.utf8.count > 7 else { return nil }
        let scheme = value.utf8.prefix(7)
        guard scheme.elementsEqual("bearer ".utf8, by: { $0 | 0x20 == $1 }) else { return nil }
        return String(value.dropFirst(7).drop { $0 == " " })
    }
}
