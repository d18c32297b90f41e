import Hummingbird
import NIOCore

/// The gateway's request context: Hummingbird's basics plus the client's address (rate limiting
/// by address when a request carries no user).
public struct GatewayContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
