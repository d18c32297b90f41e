import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import OrderPayHTTP
import OrderPayCore
import ServiceLifecycle

/// An HTTP server started in this process: it knows the port it bound (port 0 picks a free one,
/// as tests do) and stops gracefully, finishing in-flight requests.
public final class RunningServer: @unchecked Sendable {
    public let host: String
    public let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, Error>

    init(host: String, port: Int, group: ServiceGroup, task: Task<Void, Error>) {
        self.host = host; self.port = port; self.group = group; self.task = task
    }

    public var baseURL: String { HostAddress.httpURL(host, port: port) }

    /// - Parameter idleTimeout: a connection that has not sent a whole request head (or a piece
    ///   of its body) for this long, between requests or part way through one, is closed, so a
    ///   client trickling bytes (slowloris) or holding idle connections cannot use them all up.
    public static func start<Responder: HTTPResponder>(responder: Responder, host: String, port: Int, name: String,
                                                       idleTimeout: Duration = .seconds(60),
                                                       logger: Logger) async throws -> RunningServer
    where Responder.Context: RequestContext, Responder.Context.Source == ApplicationRequestContextSource {
        let (bound, boundContinuation) = AsyncStream<Int>.makeStream()
        // HTTP/1 rules Hummingbird leaves out (closing what clients do not keep, transfer codings,
        // a second Host) and problem+json for requests that do not parse.
        let http1 = HTTP1Channel.Configuration(additionalChannelHandlers: [HTTP1ConnectionRules.Installer(), ParseErrorProblemHandler()],
                                               idleTimeout: .init(idleTimeout))
        let app = Application(responder: responder, server: .http1(configuration: http1),
                              configuration: .init(address: .hostname(host, port: port), serverName: name),
                              onServerRunning: { channel in
                                  boundContinuation.yield(channel.localAddress?.port ?? port)
                                  boundContinuation.finish()
                              }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            defer { boundContinuation.finish() }
            try await group.run()
        }
        var iterator = bound.makeAsyncIterator()
        guard let actualPort = await iterator.next() else {
            do { try await task.value } catch { throw Self.explain(error, host: host, port: port) }
            throw AppError(.unavailable, "the server on \(HostAddress.authority(host, port: port)) stopped before it started")
        }
        return RunningServer(host: host, port: actualPort, group: group, task: task)
    }

    /// Graceful first (in-flight requests finish); after `grace`, connections still open (a
    /// server-sent event stream never ends by itself) are cut.
    public func stop(grace: Duration = .seconds(5)) async {
        await group.triggerGracefulShutdown()
        let task = self.task
        let deadline = Task {
            try? await Task.sleep(for: grace)
            task.cancel()
        }
        _ = try? await task.value
        deadline.cancel()
    }

    /// Waits until the server stops on its own (it failed).
    public func wait() async throws { try await task.value }

    static func explain(_ error: Error, host: String, port: Int) -> AppError {
        let text = "\(error)"
        if text.contains("Address already in use") { return AppError(.unavailable, "port \(port) on \(host) is already in use") }
        if text.contains("Cannot assign requested address") || text.contains("resolve") || text.contains("UnknownHost") {
            return AppError(.unavailable, "cannot listen on \(HostAddress.authority(host, port: port)): no such local address")
        }
        if text.contains("Permission denied") { return AppError(.unavailable, "no permission to listen on \(HostAddress.authority(host, port: port))") }
        return AppError(.unavailable, "cannot listen on \(HostAddress.authority(host, port: port)): \(text)")
    }
}
