import AgentCacheAuth
import AgentCacheCore
import AgentCacheServer
import Foundation
import HTTPTypes
import Testing

/// `GET /api/stats` in the client's `StatsResponse` shape, scoped to the caller's tenant.
@Suite("API keys: stats per tenant")
struct AuthStatsTests {
    @Test("stats count the caller's tenant only: requests, lookups, hits, misses, hit rate and quota")
    func scopedToTenant() async throws {
        try await withAuthServer { api in
            let a = try await api.provisionKey(integration: "alpha", tier: "pro")
            let b = try await api.provisionKey(integration: "beta", tier: "free")
            _ = try await api.get(Body.chat(), headers: keyHeaders(a))
            _ = try await api.set(Body.set(response: "1"), headers: keyHeaders(a))
            _ = try await api.get(Body.chat(), headers: keyHeaders(a))
            _ = try await api.get(Body.chat(), headers: keyHeaders(a))
            let statsA = try await api.request("/api/stats?period=1h", headers: keyHeaders(a)).object()
            #expect(statsA["period"] as? String == "1h")
            #expect(statsA["namespace"] as? String == "alpha_p1")
            let metrics = try #require(statsA["metrics"] as? [String: Any])
            #expect(metrics["api_requests"] as? Int == 5)
            #expect(metrics["total_requests"] as? Int == 3)
            #expect(metrics["cache_hits"] as? Int == 2)
            #expect(metrics["cache_misses"] as? Int == 1)
            #expect(number(metrics["hit_rate"]) == 66.67)
            #expect(statsA["tier"] as? String == "pro")
            let quota = try #require(statsA["quota"] as? [String: Any])
            #expect(quota["monthly_limit"] as? Int == 1_000_000)
            #expect(quota["monthly_used"] as? Int == 5)
            #expect(quota["monthly_remaining"] as? Int == 999_995)
            #expect(number(quota["usage_percent"]) == 0)

            let statsB = try await api.request("/api/stats", headers: keyHeaders(b)).object()
            #expect(statsB["namespace"] as? String == "beta_p1")
            let metricsB = try #require(statsB["metrics"] as? [String: Any])
            #expect(metricsB["api_requests"] as? Int == 1)
            #expect(metricsB["cache_hits"] as? Int == 0)
            #expect(statsB["period"] as? String == "24h")
        }
    }

    @Test("an unknown period is 400 INVALID_REQUEST")
    func badPeriod() async throws {
        try await withAuthServer { api in
            let key = try await api.provisionKey()
            try expectError(try await api.request("/api/stats?period=2y", headers: keyHeaders(key)), .badRequest, "INVALID_REQUEST")
        }
    }
}
