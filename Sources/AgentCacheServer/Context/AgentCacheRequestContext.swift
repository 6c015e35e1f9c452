import Hummingbird

/// The per-request context: Hummingbird's core storage plus who is calling.
public struct AgentCacheRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The tenant the caller acts for; set by `TenantResolver`.
    public var tenant: String = TenantResolver.defaultTenant

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}
