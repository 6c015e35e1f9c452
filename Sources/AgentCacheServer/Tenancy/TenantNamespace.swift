import AgentCacheAuth
import AgentCacheCore

/// The tenant namespace a request acts in: the caller's tenant plus its client namespace
/// (body, or `X-Cache-Namespace`, or `default`), after the key's namespace limit admits it.
/// Shared by every route that reads or writes cache entries. Cost: a sanitise, plus one
/// limit check in key mode.
enum TenantNamespace {
    static func resolve(
        _ clientNamespace: String?,
        context: AgentCacheRequestContext,
        authority: KeyAuthority?
    ) async throws -> CacheNamespace {
        let namespace = try CacheNamespace(tenant: context.tenant, clientNamespace: clientNamespace)
        if let authority, let admission = context.admission {
            try await authority.admitNamespace(namespace.name, for: admission.record)
        }
        return namespace
    }
}
