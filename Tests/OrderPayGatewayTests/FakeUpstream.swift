import Foundation
import NIOCore
import NIOPosix

/// A loopback TCP server that accepts connections and closes each one as soon as the request
/// arrives: an upstream that "drops the connection" mid-request.
final class DroppingUpstream: @unchecked Sendable {
    let channel: Channel
    let port: Int

    private init(channel: Channel) {
        self.channel = channel
        port = channel.localAddress?.port ?? 0
    }

    /// - Parameter silent: accept and read, but never answer nor close (an upstream that hangs).
    static func start(silent: Bool = false) async throws -> DroppingUpstream {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                silent ? channel.eventLoop.makeSucceededVoidFuture() : channel.pipeline.addHandler(CloseOnRead())
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return DroppingUpstream(channel: channel)
    }

    func stop() async { try? await channel.close() }

    /// A loopback port nobody listens on (bound, then released): connecting is refused.
    static func closedPort() async throws -> Int {
        let server = try await start()
        let port = server.port
        await server.stop()
        return port
    }
}

private final class CloseOnRead: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.close(promise: nil)
    }
}
