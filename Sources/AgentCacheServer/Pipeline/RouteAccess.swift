import AgentCacheAuth

/// What a route needs, declared where it is registered (SPEC §5): nothing, the admin token,
/// or an API key with a scope. The one source of authorisation: no decision is made from the
/// request's path text.
enum RouteAccess: Sendable, Hashable, CustomStringConvertible {
    /// Anyone (health, metrics).
    case `public`
    /// `Authorization: Bearer <admin token>`.
    case admin
    /// The admin, or the holder of the live API key the path's `:api_key` names (SPEC §5:
    /// `GET /api/provision/<key>` answers its own holder).
    case adminOrHolder
    /// An API key with this scope, admitted (rate, IP, quota, concurrency); the request acts
    /// for the key's tenant. In open mode (no admin token) the `default` tenant, unmetered.
    case scope(Scope)

    var description: String {
        switch self {
        case .public: "public"
        case .admin: "admin"
        case .adminOrHolder: "admin or key holder"
        case .scope(let scope): "scope \(scope.rawValue)"
        }
    }
}

/// An admitted request: what its head said and who it acts for.
struct Caller: Sendable {
    /// The request's head, as `Access` read it.
    let head: RequestHead
    /// The tenant the request reads and writes in; nil on public and admin routes.
    let tenant: String?
    /// The admitted key (rate state, limits, concurrency slot); nil in open mode and on
    /// public and admin routes.
    let admission: Admission?

    /// A caller of a public or admin route.
    static func anonymous(_ head: RequestHead) -> Caller {
        Caller(head: head, tenant: nil, admission: nil)
    }
}
