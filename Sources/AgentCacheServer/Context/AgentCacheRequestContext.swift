import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus the TCP peer. Who the request
/// acts for is not kept here: a route's handler receives its `Caller` from `Access`.
public struct AgentCacheRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer, for IP allow-lists.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
