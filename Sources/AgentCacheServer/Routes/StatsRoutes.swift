import AgentCacheAuth
import AgentCacheCore
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /api/stats?period=1h|24h|7d|30d[&namespace=<client namespace>]`: the caller's tenant's
/// lookups, savings and quota in the published client's `StatsResponse` shape (SPEC §1):
///
/// `{"period", "namespace", "tenant", "metrics": {"total_requests" (lookups: get calls and
/// object requests), "cache_hits", "cache_misses", "hit_rate" (percent, 2 decimals),
/// "tokens_saved", "cost_saved" ("$12.34"), "cost_saved_usd" (the same, unrounded),
/// "avg_latency_ms" (server-side lookup time), "api_requests" (every metered request of the
/// tenant; tenant view only)}, "quota": {"monthly_limit", "monthly_used",
/// "monthly_remaining", "usage_percent" (percent, 2 decimals)}, "tier"}`.
///
/// `namespace` narrows the figures to one client namespace (sanitised as on get and set) of
/// the caller's tenant; without it they are the whole tenant's and `namespace` names the
/// tenant. Never another tenant's figures: the tenant comes from the key (`Access`), not from
/// the query. Open mode (no keys) answers for the `default` tenant, with no monthly limit
/// (`monthly_limit`, `monthly_remaining` and `usage_percent` null, `monthly_used` the requests
/// since the 1st, UTC).
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
        let parameters = request.uri.queryParameters
        let period = parameters.get("period") ?? "24h"
        guard let hours = Self.periods[period] else {
            throw CacheError.invalidRequest("period must be one of 1h, 24h, 7d, 30d; got '\(period)'")
        }
        let namespace = try parameters.get("namespace").map { try CacheNamespace(tenant: tenant, clientNamespace: $0) }
        let now = clock.nowMillis()
        let row = namespace.map(TenantStats.row) ?? TenantStats.row(tenant: tenant)
        let totals = await stats.totals(row: row, hours: hours, atMillis: now)
        let (sum, overflow) = totals.hits.addingReportingOverflow(totals.misses)
        let lookups = overflow ? Int64.max : sum

        var writer = JSONObjectWriter(allocator: ByteBufferAllocator(), capacity: 640)
        writer.field("period", ascii: period)
        writer.field("namespace", string: namespace?.name ?? tenant)
        writer.field("tenant", string: tenant)
        writer.object("metrics") { metrics in
            metrics.field("total_requests", lookups)
            metrics.field("cache_hits", totals.hits)
            metrics.field("cache_misses", totals.misses)
            metrics.field("hit_rate", number: Self.percent(totals.hits, of: lookups) ?? 0)
            metrics.field("tokens_saved", totals.tokensSaved)
            metrics.field("cost_saved", ascii: Self.dollars(nanodollars: totals.nanodollarsSaved))
            metrics.field("cost_saved_usd", number: Double(totals.nanodollarsSaved) / 1e9)
            metrics.field(
                "avg_latency_ms",
                number: totals.timedLookups == 0 ? 0 : (Double(totals.lookupMicros) / Double(totals.timedLookups)).rounded() / 1000
            )
            if namespace == nil { metrics.field("api_requests", totals.requests) }
        }
        if let authority, let admission = caller.admission {
            let limit = admission.limits.monthlyRequests
            let used = try await authority.ledger.used(account: admission.record.account, month: KeyAuthority.month(of: now))
            writer.object("quota") { quota in
                quota.field("monthly_limit", limit)
                quota.field("monthly_used", used)
                quota.field("monthly_remaining", max(0, limit - used))
                quota.field("usage_percent", number: Self.percent(used, of: limit) ?? 0)
            }
            writer.field("tier", ascii: admission.record.tier.rawValue)
        } else {
            // Open mode: no key, no plan, so no quota. Left out rather than sent with null
            // numbers, which the published client types as numbers (its `quota` is optional).
            writer.null("tier")
        }
        return .json(writer.finish())
    }

    /// `part` of `whole` in percent, 2 decimals; nil when `whole` is 0.
    static func percent(_ part: Int64, of whole: Int64) -> Double? {
        whole == 0 ? nil : (Double(part) / Double(whole) * 10_000).rounded() / 100
    }

    /// `$12.34`: nanodollars rounded to the cent.
    static func dollars(nanodollars: Int64) -> String {
        let nanodollars = max(0, nanodollars)
        let cents = nanodollars / 10_000_000 + (nanodollars % 10_000_000 >= 5_000_000 ? 1 : 0)
        let fraction = cents % 100
        return "$\(cents / 100)." + (fraction < 10 ? "0" : "") + String(fraction)
    }
}
