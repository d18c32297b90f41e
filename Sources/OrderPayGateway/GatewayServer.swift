import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import OrderPayCore

/// The gateway's HTTP server on SwiftNIO: one pipeline per client connection (only
/// `GatewayConnectionHandler`, which reads HTTP/1.x itself) and one upstream pool per
/// event loop. A lean data path on purpose: a proxied request is parsed, checked, rewritten and
/// relayed without leaving its event loop.
public final class GatewayServer: @unchecked Sendable {
    public let host: String
    public let port: Int
    private let channel: Channel
    private let pools: [UpstreamPool]
    private let connections: ConnectionSet

    private init(host: String, port: Int, channel: Channel, pools: [UpstreamPool], connections: ConnectionSet) {
        self.host = host; self.port = port; self.channel = channel; self.pools = pools; self.connections = connections
    }

    public var baseURL: String { HostAddress.httpURL(host, port: port) }

    /// Listens on `host:port` (port 0 picks a free one) on NIO's shared event loops.
    public static func start(_ gateway: Gateway, host: String, port: Int,
                             group: MultiThreadedEventLoopGroup = .singleton) async throws -> GatewayServer {
        var pools: [ObjectIdentifier: UpstreamPool] = [:]
        var clientDeadlines: [ObjectIdentifier: LoopDeadlines] = [:]
        var budgets: [ObjectIdentifier: BodyBudget] = [:]
        let clientTimeout = gateway.settings.clientTimeout
        for loop in group.makeIterator() {
            pools[ObjectIdentifier(loop)] = UpstreamPool(eventLoop: loop, connectTimeout: gateway.settings.connectTimeout,
                                                         upstreamTimeout: gateway.settings.upstreamTimeout,
                                                         maxIdlePerInstance: gateway.settings.maxIdleConnectionsPerInstance,
                                                         maxIdleAge: gateway.settings.upstreamIdleReuse)
            // A tenth of the timeout, at most a second late (and no busy loop for a tiny timeout).
            let tick: TimeAmount = max(.milliseconds(10), min(.seconds(1), .nanoseconds(clientTimeout.nanoseconds / 10)))
            clientDeadlines[ObjectIdentifier(loop)] = LoopDeadlines(eventLoop: loop, tick: tick)
            budgets[ObjectIdentifier(loop)] = BodyBudget(limit: gateway.settings.maxBufferedBodyBytesPerLoop)
        }
        let poolsByLoop = pools, clientDeadlinesByLoop = clientDeadlines, budgetsByLoop = budgets
        let connections = ConnectionSet()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            // A client that shuts down its sending side after a request (`printf … | nc -N`) still
            // reads the answer: the handler answers it, then closes (see `clientFinishedSending`).
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                connections.insert(channel)
                do {
                    // No HTTP codec handlers: GatewayConnectionHandler parses requests and writes
                    // response bytes itself, and handles pipelining and protocol errors (see there,
                    // ClientRequestParser and ResponseEncoding why).
                    let loop = ObjectIdentifier(channel.eventLoop)
                    try channel.pipeline.syncOperations.addHandler(GatewayConnectionHandler(gateway: gateway, pool: poolsByLoop[loop]!,
                                                                                            clientDeadlines: clientDeadlinesByLoop[loop]!,
                                                                                            bodies: budgetsByLoop[loop]!))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .bind(host: host, port: port).get()
        return GatewayServer(host: host, port: channel.localAddress?.port ?? port, channel: channel,
                             pools: Array(pools.values), connections: connections)
    }

    /// Stops accepting, lets each connection finish the request it is on (idle ones close at
    /// once), and after `grace` closes what is still open (a server-sent event stream never ends
    /// by itself); then closes the idle upstream connections.
    public func stop(grace: Duration = .seconds(5)) async {
        try? await channel.close()
        for connection in connections.all { connection.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
        let deadline = ContinuousClock.now + grace
        while !connections.isEmpty && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for connection in connections.all { try? await connection.close() }
        for pool in pools {
            try? await pool.eventLoop.submit { pool.close() }.get()
        }
    }
}

/// The open client connections, so a stop can drain and then close them.
final class ConnectionSet: Sendable {
    private let channels = NIOLockedValueBox([ObjectIdentifier: Channel]())

    func insert(_ channel: Channel) {
        let id = ObjectIdentifier(channel)
        channels.withLockedValue { $0[id] = channel }
        channel.closeFuture.whenComplete { [channels] _ in _ = channels.withLockedValue { $0.removeValue(forKey: id) } }
    }

    var all: [Channel] { channels.withLockedValue { Array($0.values) } }
    var isEmpty: Bool { channels.withLockedValue { $0.isEmpty } }
}
