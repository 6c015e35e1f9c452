import AgentCacheAuth
import AgentCacheCore
import HTTPTypes
import Hummingbird
import NIOCore

/// Decides which tenant a request acts for: the one place that does.
///
/// Open mode (no admin token, `authority` nil): every request is the `default` tenant.
/// Key mode: every cache route (`/api/cache/*`, `/api/stats`, `/api/cdn/*`) needs a key in
/// `X-API-Key` or `Authorization: Bearer`; the tenant is the key's namespace and the request
/// must pass `KeyAuthority.admit` (rate, IP, scope, quota, concurrency). Every answer to an
/// authenticated request, error or not, carries `X-RateLimit-Limit/Remaining/Reset`.
/// Other routes (health, metrics, admin) pass through untouched.
public struct TenantResolver: RouterMiddleware {
    public typealias Context = AgentCacheRequestContext

    /// The tenant of unauthenticated (open-mode) deployments.
    public static let defaultTenant = "default"

    let authority: KeyAuthority?
    let stats: TenantStats
    let clock: any CacheClock
    /// Take the client address from the first `X-Forwarded-For` entry (behind a trusted proxy).
    let trustForwardedFor: Bool

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let scope = Self.scope(of: request.uri.path) else { return try await next(request, context) }
        var context = context
        guard let authority else {
            context.tenant = Self.defaultTenant
            stats.record(tenant: context.tenant, atMillis: clock.nowMillis())
            return try await next(request, context)
        }
        let record = try await authority.authenticate(Self.credential(request.headers))
        let clientAddress = Self.clientAddress(
            forwardedFor: request.headers[.xForwardedFor],
            remote: context.remoteAddress,
            trustForwardedFor: trustForwardedFor
        )
        let admission = try await authority.admit(record, scope: scope, clientAddress: clientAddress)
        context.tenant = record.namespace
        context.admission = admission
        stats.record(tenant: record.namespace, atMillis: clock.nowMillis())
        do {
            var response = try await next(request, context)
            // Released before answering (not in a detached task), so a client's next request
            // never finds its previous one still counted.
            await authority.finish(admission)
            for (name, value) in admission.rate.headerPairs {
                if let field = HTTPField.Name(name) { response.headers[field] = value }
            }
            return response
        } catch {
            await authority.finish(admission)
            var cacheError = ErrorMiddleware<Context>.cacheError(for: error)
            cacheError.responseHeaders.merge(admission.headers) { own, _ in own }
            throw cacheError
        }
    }

    /// The scope a path needs, nil for routes that need no key.
    static func scope(of path: String) -> Scope? {
        switch path {
        case "/api/cache/get", "/api/cache/check", "/api/cache/explain": .cacheRead
        case "/api/cache/set": .cacheWrite
        case "/api/cache/invalidate": .cacheInvalidate
        case "/api/stats": .statsRead
        default:
            // Unknown cache and CDN paths still need a key, so they cannot be probed without one.
            path.hasPrefix("/api/cache/") || path.hasPrefix("/api/cdn/") ? .cacheRead : nil
        }
    }

    /// `X-API-Key`, else the token of `Authorization: Bearer`.
    static func credential(_ headers: HTTPFields) -> String? {
        credential(apiKey: headers[.xAPIKey], authorization: headers[.authorization])
    }

    /// The credential in the values of `X-API-Key` and `Authorization` (either may be absent).
    static func credential(apiKey: String?, authorization: String?) -> String? {
        if let apiKey { return apiKey.trimmingSpaces }
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingSpaces
    }

    /// The client's address for IP allow-lists: the first `X-Forwarded-For` entry behind a
    /// trusted proxy, else the connection's peer.
    static func clientAddress(forwardedFor: String?, remote: SocketAddress?, trustForwardedFor: Bool) -> String? {
        if trustForwardedFor, let forwardedFor, let first = forwardedFor.split(separator: ",").first {
            return String(first).trimmingSpaces
        }
        return remote?.ipAddress
    }
}

extension HTTPField.Name {
    /// The client chain a proxy reports; trusted only with `--trust-forwarded-for`.
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
