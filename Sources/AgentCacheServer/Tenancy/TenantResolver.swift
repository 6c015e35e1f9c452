import Hummingbird

/// Decides which tenant a request acts for. Until API keys exist every request is the
/// `default` tenant; this is the one place the keys issue replaces.
struct TenantResolver: RouterMiddleware {
    typealias Context = AgentCacheRequestContext

    /// The tenant of unauthenticated deployments.
    static let defaultTenant = "default"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.tenant = Self.defaultTenant
        return try await next(request, context)
    }
}
