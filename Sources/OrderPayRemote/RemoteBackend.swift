import Foundation
import OrderPayConsole
import OrderPayCore

/// The console's remote mode: every `Backend` call becomes REST calls to the gateway, made with
/// libcurl off Swift's cooperative pool, as an operator logged in with email and password.
///
/// The list, detail, action and event-stream calls live in the `RemoteBackend+…` files.
public final class RemoteBackend: Backend {
    public struct Options: Sendable {
        /// How long to wait for the TCP connection to the gateway.
        public var connectTimeout: TimeInterval = 5
        /// A whole request, answer included (the gateway itself gives up on a service after 30 s).
        public var requestTimeout: TimeInterval = 35
        /// The access token is refreshed when it has less than this left.
        public var refreshMargin: TimeInterval = 30
        /// An event stream that receives nothing, not even a keep-alive comment, for this long is
        /// treated as dropped, said in the banner and reconnected; a connection whose response does
        /// not start within it is "gateway not answering". The server sends a comment after 5 s
        /// of quiet, so this is three missed in a row: a frozen gateway shows within 15 s (it
        /// was 45 s, on 15 s keep-alives, and as much again before "not answering").
        public var streamIdleTimeout: TimeInterval = 15
        /// Reconnection delays of the event stream: first, doubling up to the maximum.
        public var streamInitialBackoff: TimeInterval = 0.5
        public var streamMaximumBackoff: TimeInterval = 10
        /// Use http_proxy/no_proxy from the environment; off, the gateway is always reached directly.
        public var honorProxyEnvironment = false
        /// How a 429 is met: waited out as Retry-After asks, up to a minute, said once on stderr
        /// (sign-in and `--plain` have nowhere else to show it); nil, or once finished, it is
        /// the caller's at once (the full-screen console's panes back off by themselves).
        /// The event stream does its own waiting, whatever this is.
        public var rateLimitPatience: RateLimitPatience? = RateLimitPatience()
        /// The session's notion of now, for token expiry (tests move it forward).
        public var clock: @Sendable () -> Date = { Date() }

        public init() {}
    }

    public let modeName = "remote"
    public let endpoint: String
    public let operatorName: String
    /// The signed-in operator's account.
    public let operatorUser: User
    public let session: RemoteSession
    let transport: GatewayTransport
    let streamTransport: GatewayTransport
    let options: Options

    /// Logs in at the gateway (`http://host:port`, or a bare `host:port`). Throws `.unauthorized`
    /// for wrong credentials, `.unavailable` ("gateway unreachable at URL: …") when nothing
    /// answers, `.validation` for a malformed URL or one that is not the gateway's (a service's own port).
    public init(gatewayURL: String, email: String, password: String, options: Options = Options()) async throws {
        let baseURL = try GatewayTransport.normalize(gatewayURL)
        var curl = CurlOptions()
        curl.connectTimeout = options.connectTimeout
        curl.honorProxyEnvironment = options.honorProxyEnvironment
        transport = GatewayTransport(baseURL: baseURL, client: CurlClient(options: curl), requestTimeout: options.requestTimeout,
                                     patience: options.rateLimitPatience)
        curl.idleTimeout = options.streamIdleTimeout
        streamTransport = GatewayTransport(baseURL: baseURL, client: CurlClient(options: curl), requestTimeout: options.requestTimeout)
        session = RemoteSession(transport: transport, email: email, password: password, clock: options.clock,
                                refreshMargin: options.refreshMargin)
        self.options = options
        endpoint = baseURL
        try await GatewayProbe.check(transport)
        try await session.login()
        let me = try await Self.fetchMe(transport: transport, session: session)
        operatorUser = me
        operatorName = me.email
    }

    private static func fetchMe(transport: GatewayTransport, session: RemoteSession) async throws -> User {
        let token = try await session.accessToken()
        return try GatewayTransport.decode(User.self, from: try await transport.exchange("GET", "/api/users/me", token: token))
    }
}
