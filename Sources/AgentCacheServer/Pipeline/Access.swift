import AgentCacheAuth
import AgentCacheCore

/// Decides whether a request may run its route and for whom, and finishes what that decision
/// took: the one place requests are authenticated and admitted, for both entry points.
///
/// Open mode (no admin token, `authority` nil): scope routes act for the `default` tenant and
/// admin routes answer 403. Key mode: scope routes need a live key (`X-API-Key` or
/// `Authorization: Bearer`) that `KeyAuthority.admit` lets through; the tenant is the key's.
/// Every answer to an admitted request, error or not, carries `X-RateLimit-Limit/Remaining/Reset`.
/// Cost on a hit with a cached key: `KeyAuthority.authenticate` + `admit` at hand, one stats lock.
final class Access: Sendable {
    // A class: every step of a request captures it, and a reference is one retain.

    /// The tenant of open-mode deployments.
    static let defaultTenant = "default"

    let authority: KeyAuthority?
    let adminToken: String?
    let stats: TenantStats
    let clock: any CacheClock
    /// The browser origins allowed (`--cors-origin`): in open mode, what stands between a web
    /// page and the cache (there is no key a page would have to know).
    let cors: CORSPolicy

    init(authority: KeyAuthority?, adminToken: String?, stats: TenantStats, clock: any CacheClock, cors: CORSPolicy = CORSPolicy()) {
        self.cors = cors
        self.authority = authority
        self.adminToken = adminToken
        self.stats = stats
        self.clock = clock
    }

    /// Lets a request with `head` run a route that needs `access`, or fails with the reason
    /// (401, 403, 429; rate-limit headers on admission errors). Judged from the head alone, so
    /// no body byte is read for a request that will be refused.
    /// `subject` is the API key a route's path names (`adminOrHolder`).
    func admit(_ access: RouteAccess, _ head: RequestHead, subject: String? = nil) -> Eventual<Caller> {
        switch access {
        case .public:
            return .value(.anonymous(head))
        case .admin:
            return checkAdmin(head).map { .anonymous(head) }
        case .adminOrHolder:
            let isAdmin = head.bearerToken.flatMap { token in adminToken.map { AdminToken.matches(token, expected: $0) } } ?? false
            // A request with no credential at all presents the key its path names (SPEC §5:
            // the seed's "verify key is active" step sends the key alone, in the path).
            let presented = head.credential ?? (head.authorization == nil ? subject : nil)
            guard let authority, let credential = presented, !isAdmin else {
                return checkAdmin(head).map { .anonymous(head) }
            }
            // A key: it must be live, and it reads nothing but its own record.
            return authority.authenticate(credential).map { _ throws(CacheError) in
                guard credential == subject else {
                    throw CacheError(.insufficientPermissions, "an API key can read only its own info; the admin token reads any")
                }
                return .anonymous(head)
            }
        case .scope(let scope):
            guard let authority else {
                // Open mode: a page on another origin could otherwise write, read or invalidate
                // through a visitor's browser (a form or a no-cors fetch needs no preflight).
                guard cors.admits(origin: head.origin, host: head.host) else {
                    return .failure(CacheError(
                        .insufficientPermissions,
                        "a browser page from \(head.origin ?? "") may not call this server: without API keys only pages allowed by --cors-origin may"
                    ))
                }
                stats.recordRequest(tenant: Self.defaultTenant, atMillis: clock.nowMillis())
                return .value(Caller(head: head, tenant: Self.defaultTenant, admission: nil))
            }
            // Steps take what they need as `with:` (no closure context on the hit path).
            return authority.authenticate(head.credential).flatMap(with: (self, authority, head, scope)) { step, record in
                let (access, authority, head, scope) = step
                return authority.admit(record, scope: scope, clientAddress: head.clientAddress).map(with: (access, head)) { step, admission in
                    let (access, head) = step
                    access.stats.recordRequest(tenant: admission.record.namespace, atMillis: access.clock.nowMillis())
                    return Caller(head: head, tenant: admission.record.namespace, admission: admission)
                }
            }
        }
    }

    /// Runs a route's `steps` for `caller`: those that must wait hold one of the key's
    /// concurrent-request slots while they do (`KeyAuthority.hold`), released before the result
    /// is handed back, so a client's next request never finds its previous one still counted.
    func perform<Value: Sendable>(_ caller: Caller, _ steps: Eventual<Value>) -> Eventual<Value> {
        guard let authority, let admission = caller.admission else { return steps }
        return authority.hold(admission, while: steps)
    }

    /// `outcome` with the rate-limit headers of `caller`'s admission added, to an answer or to
    /// an error alike.
    func finish<Outcome: HeaderCarrying>(_ caller: Caller, _ outcome: Result<Outcome, CacheError>) -> Result<Outcome, CacheError> {
        guard let admission = caller.admission else { return outcome }
        switch outcome {
        case .success(var value):
            for (name, field) in admission.rate.headerPairs { value.addHeader(name: name, value: field) }
            return .success(value)
        case .failure(var error):
            error.responseHeaders.merge(admission.headers) { own, _ in own }
            return .failure(error)
        }
    }

    /// The tenant namespace `clientNamespace` names for `caller` (body, else header, else
    /// `default`), after the key's namespace limit admits it. Cost: a sanitise; at hand for a
    /// namespace the key has used, one store call for a new one.
    func namespace(_ clientNamespace: String?, for caller: Caller) -> Eventual<CacheNamespace> {
        guard let tenant = caller.tenant else {
            return .failure(CacheError(.internalError, "route without a tenant asked for a namespace"))
        }
        let namespace: CacheNamespace
        do {
            namespace = try CacheNamespace(tenant: tenant, clientNamespace: clientNamespace)
        } catch {
            return .failure(error)
        }
        return admit(namespace: namespace, for: caller).map { namespace }
    }

    /// Checks the key's namespace limit admits `namespace` (of the caller's tenant).
    func admit(namespace: CacheNamespace, for caller: Caller) -> Eventual<Void> {
        guard let authority, let admission = caller.admission else { return .done }
        return authority.admitNamespace(namespace.name, for: admission.record)
    }

    /// 403 when admin routes are disabled, 401 `API_KEY_REQUIRED` without a bearer token,
    /// 401 `INVALID_API_KEY` for a wrong one. Two SHA-256s (constant time in the token).
    private func checkAdmin(_ head: RequestHead) -> Eventual<Void> {
        guard let adminToken, authority != nil else {
            return .failure(CacheError(.insufficientPermissions, "admin routes are disabled: set --admin-token (or AGENTCACHE_ADMIN_TOKEN) to enable API keys"))
        }
        guard head.authorization != nil else {
            return .failure(CacheError(.apiKeyRequired, "admin token required: send Authorization: Bearer <admin token>"))
        }
        guard let token = head.bearerToken, AdminToken.matches(token, expected: adminToken) else {
            return .failure(CacheError(.invalidAPIKey, "admin token is not valid"))
        }
        return .done
    }
}
