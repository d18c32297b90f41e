import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import OrderPayCore
import OrderPayGateway
import OrderPayHTTP

/// Calls from one OrderPay service to another it finds in the registry (the order service asking
/// auth for an account's status, a service handing a dead letter to the one that runs its group):
/// one place for finding the instances and for the rule of when another instance may be tried.
final class PeerServices: Sendable {
    let directory: ServiceDirectory
    /// How old the directory's list may be before a call has it refreshed.
    let maxAge: Duration
    /// The last refresh's start (whatever became of it), and whether one is running.
    private let refreshing = NIOLockedValueBox<(startedAt: ContinuousClock.Instant?, running: Bool)>((nil, false))

    init(directory: ServiceDirectory, maxAge: Duration = .seconds(2)) {
        self.directory = directory
        self.maxAge = maxAge
    }

    /// Connections between services fail fast: one that cannot be made is not retried until the
    /// request's deadline (AsyncHTTPClient's default), so a dead instance costs a refused connect
    /// (or a second), not the whole timeout, before the next is tried.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(1)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
    }()

    /// The UP instances of `app`, as last listed. A list older than `maxAge` is refreshed in the
    /// background, at most one refresh at a time, so no call waits on the registry (a registry
    /// that is down made every order wait out its 5 s timeout); only a call that knows no
    /// instance at all waits for a refresh (one may have started since). A registry that cannot
    /// be reached leaves the last list, and is asked again `maxAge` later.
    func instances(of app: String) async -> [ServiceDirectory.Endpoint] {
        let known = directory.candidates(for: app)
        if known.isEmpty {
            if startRefresh(waited: true) { await refresh() }
            return directory.candidates(for: app)
        }
        if startRefresh(waited: false) { Task { await refresh() } }
        return known
    }

    /// Whether the caller should refresh now: the last one began `maxAge` ago or more (or, for a
    /// caller that knows no instance, is not running) and no other is running.
    private func startRefresh(waited: Bool) -> Bool {
        let now = ContinuousClock.now
        return refreshing.withLockedValue { state in
            guard !state.running else { return false }
            guard waited || state.startedAt.map({ now - $0 >= maxAge }) ?? true else { return false }
            state = (now, true)
            return true
        }
    }

    private func refresh() async {
        _ = try? await directory.refresh()
        refreshing.withLockedValue { $0.running = false }
    }

    /// What became of a call at one instance.
    enum Outcome {
        case answered(HTTPClientResponse, body: ByteBuffer)
        /// No connection could be made: the request never left, so another instance may take it.
        case unreachable(String)
    }

    /// Sends `request` to `instance`. Errors after a connection was made (a reset, the deadline)
    /// are thrown: the request may have been received and acted on.
    /// It carries the request id and trace of the request being served, if any.
    func send(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> Outcome {
        var request = request
        for (name, value) in RequestCorrelation.current?.headers ?? [] { request.headers.replaceOrAdd(name: name, value: value) }
        let response: HTTPClientResponse
        do {
            response = try await Self.http.execute(request, timeout: timeout)
        } catch where Self.neverSent(error) {
            return .unreachable(Self.describe(error))
        }
        return .answered(response, body: try await response.body.collect(upTo: 1 << 20))
    }

    /// A connect failure in a few words ("connection refused"), for a problem's detail.
    static func describe(_ error: Error) -> String {
        switch error {
        case let error as IOError: return String(cString: strerror(error.errnoCode)).lowercased()
        case let error as HTTPClientError where error == .connectTimeout: return "connect timed out"
        case is NIOConnectionError: return "could not connect"
        default: return "\(error)"
        }
    }

    /// Errors of a request that had no connection yet (refused, unreachable, no answer to the
    /// connect); a reset or a broken pipe is not one of them.
    static func neverSent(_ error: Error) -> Bool {
        switch error {
        case let error as HTTPClientError: return error == .connectTimeout || error == .getConnectionFromPoolTimeout
        case is NIOConnectionError: return true
        case let error as IOError: return [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, ETIMEDOUT].contains(error.errnoCode)
        case let error as ChannelError:
            if case .connectTimeout = error { return true }
            return false
        default: return false
        }
    }
}
