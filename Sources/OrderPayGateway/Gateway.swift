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

    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                                        "trailer", "transfer-encoding", "upgrade", "host", "content-length"]

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
        var clientKey = "ip:" + (context.remoteAddress?.ipAddress ?? "unknown")
        if !GatewayRoutes.isPublic(method: request.method.rawValue, path: path) {
            do {
                let actor = try await tokens.verify(Self.bearer(request.headers) ?? "")
                clientKey = "user:\(actor.userId.map(String.init) ?? actor.email)"
            } catch let error as AppError {
                return JSONResponses.problem(error.kind == .forbidden ? .forbidden : .unauthorized, error.message,
                                             headers: [.wwwAuthenticate: "Bearer"])
            } catch {
                return JSONResponses.problem(.unauthorized, "invalid access token", headers: [.wwwAuthenticate: "Bearer"])
            }
        }
        if let limiter, let wait = limiter.retryAfter(for: clientKey) {
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
            || (request.method == .post && request.headers[HTTPField.Name("Idempotency-Key")!] != nil)
        var lastFailure = "no instance answered"
        for endpoint in candidates {
            var upstream = HTTPClientRequest(url: endpoint.baseURL + (request.uri.string.hasPrefix("/") ? request.uri.string : "/" + request.uri.string))
            upstream.method = HTTPMethod(rawValue: request.method.rawValue)
            for field in request.headers where !Self.hopByHop.contains(field.name.canonicalName) {
                upstream.headers.add(name: field.name.rawName, value: field.value)
            }
            upstream.headers.replaceOrAdd(name: "X-Request-Id", value: trace.requestId)
            upstream.headers.replaceOrAdd(name: "traceparent", value: trace.traceparent)
            if let clientAddress { upstream.headers.add(name: "X-Forwarded-For", value: clientAddress) }
            if body.readableBytes > 0 { upstream.body = .bytes(body) }
            do {
                let response = try await http.execute(upstream, timeout: settings.upstreamTimeout)
                return Self.relay(response)
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
    static func relay(_ upstream: HTTPClientResponse) -> Response {
        var headers = HTTPFields()
        var contentLength: Int?
        for header in upstream.headers {
            let lower = header.name.lowercased()
            if lower == "content-length" { contentLength = Int(header.value) }
            if hopByHop.contains(lower) { continue }
            if let name = HTTPField.Name(header.name) { headers.append(HTTPField(name: name, value: header.value)) }
        }
        let body = upstream.body
        return Response(status: HTTPResponse.Status(code: Int(upstream.status.code)), headers: headers,
                        body: ResponseBody(contentLength: contentLength) { writer in
                            for try await chunk in body { try await writer.write(chunk) }
                            try await writer.finish(nil)
                        })
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
