import AgentCacheAuth
import AgentCacheCore
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /api/stats?period=1h|24h|7d|30d`: the caller's tenant's requests, hits, misses and
/// quota, in the published client's `StatsResponse` shape. Never another tenant's figures:
/// the tenant comes from the key (`Access`), not from the query.
struct StatsRoutes {
    let stats: TenantStats
    let authority: KeyAuthority?
    let clock: any CacheClock

    /// The periods accepted and their length in hours.
    static let periods: [String: Int64] = ["1h": 1, "24h": 24, "7d": 168, "30d": 720]

    func register(on routes: RouteTable.Builder) {
        routes.add(.get, "/api/stats", .scope(.statsRead), stats)
    }

    @Sendable func stats(_ request: Request, context: AgentCacheRequestContext, caller: Caller) async throws -> Response {
        let tenant = caller.tenant ?? Access.defaultTenant
        let period = request.uri.queryParameters.get("period") ?? "24h"
        guard let hours = Self.periods[period] else {
            throw CacheError.invalidRequest("period must be one of 1h, 24h, 7d, 30d; got '\(period)'")
        }
        let now = clock.nowMillis()
        let totals = await stats.totals(tenant: tenant, hours: hours, atMillis: now)
        let lookups = totals.hits + totals.misses
        var writer = JSONObjectWriter(allocator: ByteBufferAllocator(), capacity: 512)
        writer.field("period", ascii: period)
        writer.field("namespace", string: tenant)
        writer.field("requests", totals.requests)
        writer.field("hits", totals.hits)
        writer.field("misses", totals.misses)
        writer.field("hit_rate", number: lookups == 0 ? 0 : (Double(totals.hits) / Double(lookups) * 10_000).rounded() / 10_000)
        writer.field("tokens_saved", 0)
        writer.field("cost_saved", 0)
        if let authority, let admission = caller.admission {
            let limit = admission.limits.monthlyRequests
            let month = KeyAuthority.month(of: now)
            let used = try await authority.ledger.used(account: admission.record.account, month: month)
            writer.object("quota") { quota in
                quota.field("limit", limit)
                quota.field("used", used)
                quota.field("remaining", max(0, limit - used))
            }
            writer.field("tier", ascii: admission.record.tier.rawValue)
        } else {
            writer.object("quota") { quota in
                quota.null("limit")
                quota.field("used", totals.requests)
                quota.null("remaining")
            }
            writer.null("tier")
        }
        return .json(writer.finish())
    }
}
