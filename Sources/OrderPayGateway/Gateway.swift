import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import OrderPayCore
import OrderPayHTTP
import OrderPayServices

/// The API gateway: authenticates at the edge, rate-limits per client, and proxies to a service
/// instance chosen round-robin from the registry, failing over to the next one when an instance
/// refuses the connection. This type decides what happens to a request; `GatewayConnectionHandler`
/// and `ProxyExchange` carry it out on the connection's event loop.
public final class Gateway: @unchecked Sendable {
    public struct Settings: Sendable {
        /// From sending a request upstream (connecting included) to the response head; a response
        /// that has started (a server-sent event stream, say) is not cut off afterwards.
        public var upstreamTimeout: TimeAmount = .seconds(30)
        /// How long a client connection may sit idle between requests, and how long a request's
        /// head (or each piece of its body) may take to arrive, before the connection closes.
        public var clientTimeout: TimeAmount = .seconds(60)
        /// How long to wait for an instance to accept a connection before trying the next one.
        public var connectTimeout: TimeAmount = .seconds(2)
        public var maxBodySize = 10 << 20
        /// How long a request body may take to arrive whole, from its head: the client timeout
        /// alone restarts with every piece, so a body trickled a byte a minute would never end.
        public var bodyTimeout: TimeAmount = .seconds(120)
        /// The request-body bytes each event loop holds at most, across its connections (see
        /// `BodyBudget`); a request over it gets 503 with Retry-After.
        public var maxBufferedBodyBytesPerLoop = 64 << 20
        public var rateLimit: Double = 200
        public var rateBurst: Double = 400
        /// Idle keep-alive connections kept per instance on each event loop.
        public var maxIdleConnectionsPerInstance = 256
        /// How long a connection to a service may have been idle and still carry a request.
        /// Services close connections idle for their idle timeout (at least 10 s, `orderpay serve
        /// --idle-timeout`); a request sent just as the service closes its connection would be
        /// lost on the way (a 502 for a POST), so connections are retired well before.
        public var upstreamIdleReuse: TimeAmount = .seconds(5)
        public init() {}
    }

    let directory: ServiceDirectory
    let tokens: TokenService
    let limiter: RateLimiter?
    let settings: Settings
    /// Request counts and latencies, served at `GET /metrics`.
    let metrics = MetricsRegistry()
    let logger: Logger
    /// The logger's own handler when it can write access lines directly (`orderpay serve
    /// gateway`'s), else nil and lines go through `logger`.
    let accessLog: LineLogHandler?

    public init(directory: ServiceDirectory, tokens: TokenService, settings: Settings = Settings(), logger: Logger) {
        self.directory = directory
        self.tokens = tokens
        self.settings = settings
        self.limiter = settings.rateLimit > 0 ? RateLimiter(rate: settings.rateLimit, burst: settings.rateBurst) : nil
        self.logger = logger
        accessLog = (logger.handler as? LineLogHandler).flatMap { $0.writesAccessLinesDirectly ? $0 : nil }
    }

    /// Sets up the process's event loops for `orderpay serve gateway` (process-wide and once
    /// only, so it is called first thing):
    /// - one event loop per two cores (at least one), not one per core: the gateway shares the
    ///   host with the services it fronts (`orderpay up`, the benchmark), and on 2 cores one loop
    ///   proxied the same load with less CPU than two (about 31–39 against 44–45 µs per request in
    ///   `orderpay bench http`): more work per wake-up, fewer context switches, no lock contention
    ///   between loops; at 35 µs a request one loop has room for about 28,000 requests/s. ORDERPAY_GATEWAY_THREADS=N
    ///   sets N loops (say, one per core on a host of its own);
    /// - Swift concurrency's global executor runs on those loops instead of a second pool of
    ///   threads, so the gateway's few async steps (a token seen for the first time, its own
    ///   endpoints) do not wake other threads. ORDERPAY_GATEWAY_EXECUTOR=pool keeps the pool.
    @discardableResult
    public static func runConcurrencyOnEventLoops() -> Bool {
        let configured = ProcessInfo.processInfo.environment["ORDERPAY_GATEWAY_THREADS"].flatMap(Int.init) ?? 0
        NIOSingletons.groupLoopCountSuggestion = configured > 0 ? configured : max(1, System.coreCount / 2)
        guard ProcessInfo.processInfo.environment["ORDERPAY_GATEWAY_EXECUTOR"] != "pool" else { return false }
        return NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    /// What to do with a request, decided from its head alone, before any of its body is read.
    enum Decision {
        case forward(app: String)
        case reply(GatewayReply)
        case own(GatewayEndpoints.Endpoint)
        /// A token not verified before: `decide(afterVerifying:)` checks it off the event loop.
        case verify(token: String, then: Destination)
    }

    /// Where an admitted request goes: to a service, or to one of the gateway's own endpoints.
    enum Destination {
        case app(String)
        case own(GatewayEndpoints.Endpoint)
    }

    /// Everything but a first-time token check, without suspending and from the head alone:
    /// method, route, token (from the verified-token cache), rate limit. Called as a request's head
    /// arrives, so a request refused for any of these is refused before its body is read (the
    /// body's size is checked by the connection). It draws on the rate limit: once per request.
    func decide(_ request: IncomingRequest, clientIP: String?) -> Decision {
        let method = request.head.method
        guard Self.isForwardable(method) else {
            // Answered here, not by a service: a CONNECT's answer from one had no length, which
            // left the client waiting out the idle timeout. A method the services' parser knows
            // (NIO's named ones, such as TRACE, CONNECT and WebDAV's, and QUERY) is one no route
            // allows, 405 as a service says it; any other is one no server here implements, 501.
            if case .RAW(let name) = method, name != "QUERY" {
                return limitedByAddress(clientIP) ?? .reply(.problem(.notImplemented,
                    "method \(method.rawValue.prefix(32)) is not supported (\(Self.forwardableMethods) are)"))
            }
            return limitedByAddress(clientIP) ?? .reply(.problem(.methodNotAllowed,
                "\(method.rawValue) is not allowed on \(request.path.prefix(200)) (allowed: \(Self.forwardableMethods))",
                headers: ["Allow": Self.forwardableMethods]))
        }
        if let own = GatewayEndpoints.Endpoint(path: request.path) {
            guard method == .GET || method == .HEAD else {
                return limitedByAddress(clientIP) ?? .reply(.problem(.methodNotAllowed, "\(method.rawValue) is not allowed on \(request.path) (allowed: GET, HEAD)",
                                                                     headers: ["Allow": "GET, HEAD"]))
            }
            switch own {
            // A load balancer's checks share an address with the traffic it forwards, and a 429
            // there would take the gateway out of rotation.
            case .health: return .own(own)
            // Admins' calls draw on their own buckets, as proxied calls do: operators behind one
            // address (a bastion, a NAT) do not share one.
            case .registry: return decideWithToken(request, then: .own(own), clientIP: clientIP)
            // Public: the address's bucket (/openapi.json asks every service).
            case .openAPI, .metrics: return limitedByAddress(clientIP) ?? .own(own)
            }
        }
        guard let app = GatewayRoutes.app(for: request.path) else {
            return limitedByAddress(clientIP) ?? .reply(.problem(.notFound, "no route for \(request.path)"))
        }
        if GatewayRoutes.isPublic(method: method.rawValue, path: request.path) {
            return admit(.app(app), user: nil, clientIP: clientIP)
        }
        return decideWithToken(request, then: .app(app), clientIP: clientIP)
    }

    /// A request that needs a user's token: refused without one, admitted on the user's bucket
    /// with one verified before, else verified first (`.verify`).
    private func decideWithToken(_ request: IncomingRequest, then destination: Destination, clientIP: String?) -> Decision {
        // Requests refused for their token draw on their address's bucket, like anonymous ones: a
        // flood of them gets 429s. A token yet to be verified (an HMAC) is not checked once the
        // address is out of tokens; a valid one costs the address nothing (its user pays).
        guard let token = Self.bearer(request.head.headers) else {
            return limitedByAddress(clientIP) ?? .reply(.refused(AppError.unauthorized("missing bearer access token")))
        }
        do {
            guard let user = try tokens.verifiedBefore(token) else {
                if let limiter, let wait = limiter.wouldRefuse("ip:" + (clientIP ?? "unknown")) { return Self.tooManyRequests(wait) }
                return .verify(token: token, then: destination)
            }
            return admit(destination, user: user, clientIP: clientIP)
        } catch {
            return limitedByAddress(clientIP) ?? .reply(.refused(error))
        }
    }

    /// The methods the services' routes can answer (each with 405 and `Allow` where a path has no
    /// such route).
    static let forwardableMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"

    static func isForwardable(_ method: HTTPMethod) -> Bool {
        switch method {
        case .GET, .HEAD, .POST, .PUT, .PATCH, .DELETE, .OPTIONS: return true
        default: return false
        }
    }

    /// A request whose declared body is over the limit, refused before the body is read: a 413,
    /// drawing on its address's bucket as other refusals do (429 once that is empty).
    func refuseOversized(length: Int?, clientIP: String?) -> GatewayReply {
        if case .reply(let tooMany)? = limitedByAddress(clientIP) { return tooMany }
        let size = length.map { "of \($0) bytes " } ?? ""
        return .problem(.payloadTooLarge, "request body \(size)is larger than \(settings.maxBodySize) bytes")
    }

    /// 503 for a body the event loop has no room to hold now (see `BodyBudget`).
    func refuseBusy() -> GatewayReply {
        .problem(.serviceUnavailable, "the gateway is holding as many request bodies as it can; retry shortly",
                 headers: ["Retry-After": "1"])
    }

    private func limitedByAddress(_ clientIP: String?) -> Decision? {
        guard let limiter, let wait = limiter.retryAfter(for: "ip:" + (clientIP ?? "unknown")) else { return nil }
        return Self.tooManyRequests(wait)
    }

    private static func tooManyRequests(_ wait: TimeInterval) -> Decision {
        .reply(.problem(.tooManyRequests, "rate limit exceeded; retry in \(Int(wait.rounded(.up))) s",
                        headers: ["Retry-After": String(max(1, Int(wait.rounded(.up))))]))
    }

    func decide(afterVerifying token: String, then destination: Destination, clientIP: String?) async -> Decision {
        do {
            return admit(destination, user: try await tokens.verify(token), clientIP: clientIP)
        } catch {
            return limitedByAddress(clientIP) ?? .reply(.refused(error))
        }
    }

    private func admit(_ destination: Destination, user: OrderPayCore.Actor?, clientIP: String?) -> Decision {
        // The client's key is only built when there is a limiter to ask.
        if let limiter, let wait = limiter.retryAfter(for: user.map { "user:" + ($0.userId.map(String.init) ?? $0.email) }
                                                      ?? "ip:" + (clientIP ?? "unknown")) {
            return Self.tooManyRequests(wait)
        }
        switch destination {
        case .app(let app): return .forward(app: app)
        case .own(let endpoint): return .own(endpoint)
        }
    }

    static func routeLabel(_ request: IncomingRequest) -> String {
        if GatewayEndpoints.Endpoint(method: request.head.method, path: request.path) != nil { return request.path }
        return GatewayRoutes.route(for: request.path).map { $0.prefix + "/**" } ?? "unmatched"
    }

    /// The token of `Authorization: Bearer <token>` (on every request: no Foundation string calls).
    static func bearer(_ headers: HTTPHeaders) -> String? {
        guard let value = headers.first(name: "authorization"), value.utf8.count > 7 else { return nil }
        let scheme = value.utf8.prefix(7)
        guard scheme.elementsEqual("bearer ".utf8, by: { $0 | 0x20 == $1 }) else { return nil }
        let token = value.dropFirst(7).drop { $0 == " " }
        return token.isEmpty ? nil : String(token)
    }

    /// The access line's entries, as `logAccess` writes them on its direct path.
    static func accessMetadata(_ request: IncomingRequest, milliseconds: UInt64) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["requestId": "\(request.trace.requestId)", "ms": "\(milliseconds)"]
        if let client = request.client { metadata["client"] = "\(client)" }
        if let upstream = request.upstream { metadata["upstream"] = "\(upstream)" }
        return metadata
    }

    /// The line and metrics of a request refused before it could be read (no method or path to
    /// name): a smuggling attempt or a broken client shows up in the log too.
    func logUnreadable(status: HTTPResponseStatus) {
        metrics.recordRequest(method: "-", route: "unreadable", status: Int(status.code), seconds: 0)
        logger.info("- - \(status.code)", metadata: ["requestId": "-", "ms": "0"])
    }

    /// One access-log line per request, whoever answered it, and its metrics (until the
    /// response's end), labelled by the route it took: a service's prefix (`/api/orders/**`), one
    /// of the gateway's own paths, or `unmatched`, never the raw path.
    /// One access-log line; `note` says why a response was cut short, when the gateway cut it.
    func log(_ request: IncomingRequest, status: HTTPResponseStatus, note: String? = nil) {
        let micros = (NIODeadline.now().uptimeNanoseconds &- request.started.uptimeNanoseconds) / 1000
        // Any other method is one label: the name is the client's choice, and each new one made
        // a series of histograms that never went away.
        let methodLabel = Self.isForwardable(request.head.method) ? request.head.method.rawValue : "other"
        metrics.recordRequest(method: methodLabel, route: Self.routeLabel(request), status: Int(status.code),
                              seconds: Double(micros) / 1e6)
        let level: Logger.Level = AccessLogPolicy.isRoutineHealthCheck(path: request.path, status: Int(status.code)) ? .debug : .info
        if let accessLog, level == .info {
            accessLog.logAccess(method: request.head.method.rawValue, path: request.path, status: status.code,
                                requestId: request.trace.requestId, milliseconds: micros / 1000, source: "OrderPayGateway", note: note,
                                client: request.client, upstream: request.upstream)
        } else {
            // Built inside swift-log's autoclosures: a routine health check's line is at debug
            // level, usually off, and then costs nothing.
            logger.log(level: level, "\(request.head.method.rawValue) \(request.path) \(status.code)\(note.map { " (\($0))" } ?? "")",
                       metadata: Self.accessMetadata(request, milliseconds: micros / 1000))
        }
    }
}

/// A client request as the gateway holds it until it is answered: its head, this hop's trace ids
/// and its body, collected up to the size limit (the services take whole bodies, and a request is
/// only retried on another instance if the gateway still has all of it).
///
/// A class, not a struct: it is handed from the connection handler to the decision and the
/// exchange, and copying a struct of this many references cost retains and releases at each step.
/// `@unchecked Sendable`: the body only grows while the request is read on its event loop, before
/// anything else sees it.
final class IncomingRequest: @unchecked Sendable {
    let head: HTTPRequestHead
    let path: String
    let trace: TraceHeaders
    let started: NIODeadline
    private(set) var body: ByteBuffer?
    private(set) var bodyTooLarge = false
    /// The client's IP address, as the access log names it.
    let client: String?
    /// The instance last sent the request (`host:port`), as the access log names it: with
    /// failover, the one that answered.
    var upstream: String?

    init(head: HTTPRequestHead, client: String?) {
        self.head = head
        self.client = client
        started = .now()
        trace = TraceHeaders(head.headers)
        if let query = head.uri.utf8.firstIndex(of: UInt8(ascii: "?")) {
            path = String(head.uri[..<query])
        } else {
            path = head.uri
        }
    }

    /// Keeps the bytes until the body passes `limit`; after that only remembers that it did.
    func append(_ chunk: ByteBuffer, limit: Int) {
        guard !bodyTooLarge else { return }
        if (body?.readableBytes ?? 0) + chunk.readableBytes > limit {
            bodyTooLarge = true
            body = nil
        } else if body == nil {
            body = chunk
        } else {
            body!.writeImmutableBuffer(chunk)
        }
    }

    /// GET and HEAD, and a POST carrying an Idempotency-Key, may be sent to another instance
    /// after one dropped the connection.
    var isIdempotent: Bool {
        switch head.method {
        case .GET, .HEAD: return true
        case .POST: return head.headers.contains(name: "Idempotency-Key")
        default: return false
        }
    }
}
