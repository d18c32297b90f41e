import Foundation
import OrderPayConsole
import OrderPayCore

/// Follows `GET /api/events/stream` for as long as the calling task runs.
///
/// Each connection is one libcurl transfer on a thread of its own; its write callback feeds an
/// `SSEParser` and hands each chunk's complete events to `onEvents`. Cancelling the task cancels
/// the transfer at once (see `TransferControl`) and `run` returns.
///
/// Reconnection: after a failure it waits 0.5 s, then 1, 2, 4… up to 10 s (configurable),
/// reporting "gateway unreachable, retrying in Ns" when nothing answered, or what the gateway
/// answered ("… (503 from the gateway), retrying in Ns") through `onStatus`, and
/// nil once connected again. A stream that ends after working reconnects at once. Resumes with
/// `Last-Event-ID` = the last id received, so nothing is lost or repeated; until an event has
/// arrived, each attempt asks `initialQuery` again. A 401 refreshes the token and reconnects; a
/// refusal that retrying cannot fix (403, 400, 404) is reported and ends the stream, whether the
/// stream itself or `initialQuery` (the history fetch before it) got it.
final class SSEStream: Sendable {
    let transport: GatewayTransport
    let session: RemoteSession
    let path: String
    let initialBackoff: TimeInterval
    let maximumBackoff: TimeInterval

    init(transport: GatewayTransport, session: RemoteSession, path: String = "/api/events/stream",
         initialBackoff: TimeInterval = 0.5, maximumBackoff: TimeInterval = 10) {
        self.transport = transport; self.session = session; self.path = path
        self.initialBackoff = initialBackoff; self.maximumBackoff = maximumBackoff
    }

    private enum Outcome {
        /// The stream was open and ended (the server closed it, or it went idle); `worked`: it lasted.
        case ended(worked: Bool)
        /// The gateway said no: to the stream itself, or to the history fetch that finds where
        /// the backlog starts (same rules either way: that fetch is the stream's first request).
        case refused(status: Int, AppError)
        case failed(String)
        /// Nothing arrived for the idle limit; `answered`: after the response's head (a stream
        /// gone quiet), else before it (a gateway that accepts connections and never answers).
        case silent(answered: Bool)
        case cancelled
    }

    func run(initialQuery: @escaping @Sendable () async throws -> [(String, String?)],
             onEvents: @escaping @Sendable ([SSEMessage]) -> Void,
             onStatus: @escaping @Sendable (StreamStatus?) -> Void) async {
        let state = StreamState()
        var delay = initialBackoff
        var retriedAuth = false
        while !Task.isCancelled {
            var wait: TimeInterval = 0
            let outcome = await attempt(initialQuery: initialQuery, state: state, onEvents: onEvents, onStatus: onStatus)
            switch outcome {
            case .cancelled:
                return
            case .ended(let worked):
                retriedAuth = false
                if worked { delay = initialBackoff; continue }
                wait = delay
                onStatus("event stream closed by the gateway, retrying in \(Self.seconds(wait))")
            case .silent(let answered):
                retriedAuth = false
                let quiet = Self.seconds(transport.client.options.idleTimeout ?? 0)
                state.troubled = true
                if answered {
                    // It worked and went quiet (not even the 5 s keep-alive): a dead connection.
                    // Reconnected at once, but said, so that a gateway frozen since shows.
                    onStatus("event stream silent for \(quiet), reconnecting")
                    delay = initialBackoff
                    continue
                }
                wait = delay
                onStatus("gateway not answering (connected, no response in \(quiet)), retrying in \(Self.seconds(wait))")
            case .failed(let reason):
                wait = delay
                onStatus(StreamStatus("gateway unreachable, retrying in \(Self.seconds(wait))" + (reason.isEmpty ? "" : " (\(reason))")))
            case .refused(let status, let error):
                switch status {
                case 401 where !retriedAuth:
                    retriedAuth = true
                    if (try? await session.refreshed(after: state.token)) != nil { continue }
                    wait = delay
                    onStatus("event stream: \(error.message), retrying in \(Self.seconds(wait))")
                case 401, 408, 429, 500...:
                    wait = max(delay, error.retryAfter ?? 0)
                    onStatus("event stream: \(error.message) (\(status) from the gateway), retrying in \(Self.seconds(wait))")
                default:
                    onStatus(StreamStatus("event stream refused: \(error.message)", refusal: error.kind))
                    return
                }
            }
            state.troubled = true
            do { try await Task.sleep(for: .seconds(wait)) } catch { return }
            delay = min(delay * 2, maximumBackoff)
        }
    }

    private func attempt(initialQuery: @Sendable () async throws -> [(String, String?)], state: StreamState,
                         onEvents: @escaping @Sendable ([SSEMessage]) -> Void,
                         onStatus: @escaping @Sendable (StreamStatus?) -> Void) async -> Outcome {
        let token: String
        var query: [(String, String?)] = []
        do {
            token = try await session.accessTokenKeepingStatus()
            if state.lastEventID == nil { query = try await initialQuery() }
        } catch is CancellationError {
            return .cancelled
        } catch let answer as GatewayAnswer {
            // The gateway answered, with the status it gave: a 503 for the order service down
            // behind it is not an unreachable gateway, and the banner must not send the operator
            // to look at the wrong process. A refresh of the token answered 502 or 504 comes
            // here too, its status kept (as an `AppError` it would read as a 503).
            return .refused(status: answer.status, answer.error)
        } catch let error as AppError where AppErrorFactory.isUnreachable(error) {
            return .failed("")
        } catch let error as AppError {
            // An answer from the gateway, not an outage: a 403 here (an operator without
            // ROLE_ADMIN) must end the stream as a refusal, not be retried forever as "unreachable".
            return .refused(status: error.kind.httpStatus, error)
        } catch {
            return .failed("\(error)")
        }
        state.token = token
        var headers: [(name: String, value: String)] = [("Accept", "text/event-stream"), ("Cache-Control", "no-cache"),
                                                        ("Authorization", "Bearer \(token)")]
        if let id = state.lastEventID { headers.append(("Last-Event-ID", id)) }
        let request = HTTPRequestSpec(method: "GET", url: transport.url(path, query: query), headers: headers, timeout: nil)

        var parser = SSEParser(lastEventID: state.lastEventID)
        var received = 0
        let heads = Counter()
        let sink: CurlTransfer.Sink = { _, chunk in
            let messages = parser.feed(chunk)
            state.lastEventID = parser.lastEventID
            if !messages.isEmpty {
                received += messages.count
                onEvents(messages)
            }
            return true
        }
        let onHead: CurlTransfer.HeadHandler = { status in
            heads.add(1)
            guard (200..<300).contains(status), state.troubled else { return }
            state.troubled = false
            onStatus(nil)
        }
        let started = ContinuousClock.now
        switch await transfer(request, sink: sink, onHead: onHead) {
        case .success(let response) where response.isSuccess:
            return .ended(worked: received > 0 || ContinuousClock.now - started > .seconds(2))
        case .success(let response):
            return .refused(status: response.status, ProblemMapping.error(for: response))
        case .failure(.cancelled):
            return .cancelled
        case .failure(.idle):
            // Was `.ended(worked: true)` either way: a frozen gateway was reconnected to every
            // idle limit, for ever, and the banner never said anything was wrong.
            return .silent(answered: heads.value > 0)
        case .failure(.transport):
            return .failed("")
        }
    }

    /// One connection on a dedicated thread; the calling task's cancellation stops it.
    private func transfer(_ request: HTTPRequestSpec, sink: @escaping CurlTransfer.Sink,
                          onHead: @escaping CurlTransfer.HeadHandler) async -> Result<HTTPResponseMessage, TransferFailure> {
        let control = TransferControl()
        let options = transport.client.options
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread {
                    Self.threads.add(1)
                    let transfer = CurlTransfer(request, control: control, options: options, sink: sink, onHead: onHead)
                    let result = transfer.runAlone()
                    Self.threads.add(-1)
                    continuation.resume(returning: result)
                }
                thread.name = "orderpay-event-stream"
                thread.start()
            }
        } onCancel: {
            control.cancel()
        }
    }

    /// How many stream threads are running (tests check that cancelling stops them).
    static let threads = Counter()

    /// "0.5s", "1s", "10s".
    static func seconds(_ value: TimeInterval) -> String {
        value == value.rounded() ? "\(Int(value))s" : String(format: "%.1fs", value)
    }
}

/// What survives from one connection to the next: where to resume, the token used, whether
/// trouble was reported (so nil is reported once connected again).
private final class StreamState: @unchecked Sendable {
    private let lock = NSLock()
    private var _lastEventID: String?
    private var _token: String?
    private var _troubled = false

    var lastEventID: String? {
        get { lock.withLock { _lastEventID } }
        set { lock.withLock { _lastEventID = newValue } }
    }
    var token: String? {
        get { lock.withLock { _token } }
        set { lock.withLock { _token = newValue } }
    }
    var troubled: Bool {
        get { lock.withLock { _troubled } }
        set { lock.withLock { _troubled = newValue } }
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add(_ delta: Int) { lock.withLock { count += delta } }
    var value: Int { lock.withLock { count } }
}
