import AgentCacheAuth
import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus who is calling.
public struct AgentCacheRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The tenant the caller acts for; set by `TenantResolver`.
    public var tenant: String = TenantResolver.defaultTenant
    /// The caller's admitted key when API keys are on (nil in open mode); set by `TenantResolver`.
    public var admission: Admission?
    /// The TCP peer, for IP allow-lists.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
