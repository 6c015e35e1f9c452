import AgentCacheTestSupport
import Foundation
import HTTPTypes
import Testing

@testable import AgentCacheServer

/// SPEC §6: `GET /dashboard` and its feed `GET /api/metrics/summary`, computed from the
/// `/metrics` counters. The page itself runs in Chromium in scripts/dashboard-check.
@Suite("Dashboard and metrics summary")
struct DashboardTests {
    /// `GET /api/metrics/summary`, parsed.
    private func summary(_ api: APIClient, headers: HTTPFields = [:]) async throws -> [String: Any] {
        let reply = try await api.request("/api/metrics/summary", headers: headers)
        #expect(reply.status == .ok, "body: \(reply.text)")
        #expect(reply.headers[.contentType]?.hasPrefix("application/json") == true)
        #expect(reply.headers[.cacheControl] == "no-store")
        return try reply.object()
    }

    private func object(_ value: Any?, _ name: String) throws -> [String: Any] {
        try #require(value as? [String: Any], "\(name) is not an object")
    }

    @Test("summary has the documented shape; a fresh node has no lookups and no hit ratio")
    func shape() async throws {
        try await withTestServer { api in
            let json = try await summary(api)
            #expect(Set(json.keys) == [
                "uptime_ms", "api_keys", "connections_open", "requests", "cache", "latency_ms", "edge", "redis", "origin", "savings",
            ])
            #expect(jsonBool(json["api_keys"]) == false)
            let requests = try object(json["requests"], "requests")
            #expect(Set(requests.keys) == ["total", "served", "errors_5xx", "rate_limited"])
            let cache = try object(json["cache"], "cache")
            #expect(Set(cache.keys) == ["lookups", "hits", "misses", "hit_ratio", "hits_by_tier", "misses_by_tier"])
            #expect(number(cache["lookups"]) == 0)
            #expect(cache["hit_ratio"] is NSNull)
            #expect(Set(try object(cache["hits_by_tier"], "hits_by_tier").keys) == ["edge", "redis", "origin"])
            let latency = try object(json["latency_ms"], "latency_ms")
            #expect(latency["routes"] as? String == "/api/cache/*")
            #expect(latency["p50"] is NSNull && latency["p99"] is NSNull)
            // No cache request yet: no histogram series, so no buckets.
            #expect((latency["le_ms"] as? [Any])?.isEmpty == true && (latency["counts"] as? [Any])?.isEmpty == true)
            let edge = try object(json["edge"], "edge")
            #expect(Set(edge.keys) == [
                "entries", "bytes", "capacity_bytes", "stored_bytes", "raw_bytes", "compression_ratio", "evictions", "expirations", "rejections",
            ])
            let redis = try object(json["redis"], "redis")
            #expect(jsonBool(redis["enabled"]) == false)
            #expect(redis["circuit"] is NSNull)
            let origin = try object(json["origin"], "origin")
            #expect(jsonBool(origin["enabled"]) == false)
            #expect(Set(try object(origin["fetches"], "fetches").keys) == ["ok", "not_found", "pass_through", "error"])
            let savings = try object(json["savings"], "savings")
            #expect(Set(savings.keys) == ["tokens_saved", "cost_saved_usd"])
        }
    }

    @Test("summary figures move with traffic: a miss, a set and two hits")
    func movesWithTraffic() async throws {
        try await withTestServer(configure: { $0.edge.capacityBytes = 8 << 20 }) { api in
            _ = try await summary(api)
            #expect(try await api.get(Body.chat()).xCache == "MISS")
            _ = try await api.set(Body.set(response: #"{"content":"4"}"#))
            #expect(try await api.get(Body.chat()).xCache == "HIT-edge")
            #expect(try await api.get(Body.chat()).xCache == "HIT-edge")
            let json = try await summary(api)

            let cache = try object(json["cache"], "cache")
            #expect(number(cache["lookups"]) == 3)
            #expect(number(cache["hits"]) == 2)
            #expect(number(cache["misses"]) == 1)
            #expect(number(cache["hit_ratio"]) == 2.0 / 3.0)
            #expect(number(try object(cache["hits_by_tier"], "hits_by_tier")["edge"]) == 2)
            #expect(number(try object(cache["misses_by_tier"], "misses_by_tier")["edge"]) == 1)

            // The four cache calls; the summary's own polls are not served traffic.
            let requests = try object(json["requests"], "requests")
            #expect(number(requests["served"]) == 4)
            #expect(number(requests["total"]) == 5)
            #expect(number(requests["errors_5xx"]) == 0)

            let latency = try object(json["latency_ms"], "latency_ms")
            #expect(number(latency["count"]) == 4)
            let p50 = try #require(number(latency["p50"]))
            let p99 = try #require(number(latency["p99"]))
            #expect(p50 > 0 && p50 <= p99)
            #expect((latency["le_ms"] as? [Any])?.count == ServerMetrics.durationBuckets.count)
            #expect((latency["counts"] as? [Any])?.count == ServerMetrics.durationBuckets.count + 1)
            #expect((latency["counts"] as? [Any]).flatMap { number($0.last) } == 4)

            let edge = try object(json["edge"], "edge")
            #expect(number(edge["entries"]) == 1)
            #expect(number(edge["capacity_bytes"]) == Double(8 << 20))
            #expect((number(edge["bytes"]) ?? 0) > 0)
        }
    }

    @Test("summary is read from the /metrics counters: both say the same")
    func agreesWithMetrics() async throws {
        try await withTestServer { api in
            _ = try await api.set(Body.set(content: "a", response: "1"))
            for content in ["a", "a", "b", "a", "c"] { _ = try await api.get(Body.chat(content: content)) }
            let json = try await summary(api)
            let metrics = try await api.metrics()
            let cache = try object(json["cache"], "cache")
            let hits = metrics.all("agentcache_cache_hits_total").reduce(0) { $0 + $1.value }
            #expect(number(cache["hits"]) == hits)
            #expect(hits == 3)
            #expect(number(try object(cache["misses_by_tier"], "misses_by_tier")["edge"]) == metrics.value(of: "agentcache_cache_misses_total", labels: ["tier": "edge"]))
            #expect(number(try object(json["edge"], "edge")["entries"]) == metrics.value(of: "agentcache_edge_entries"))
            #expect(number(try object(json["requests"], "requests")["rate_limited"]) == metrics.value(of: "agentcache_rate_limited_total"))
        }
    }

    @Test("with Redis: a Redis-tier hit, the circuit closed, then open once Redis is gone")
    func redisTierAndCircuit() async throws {
        try await withRedisServer { redis in
            try await withTestServer(configure: RedisTierIntegrationTests.configure(redis)) { nodeA in
                try await withTestServer(configure: RedisTierIntegrationTests.configure(redis)) { nodeB in
                    #expect(try await nodeA.set(RedisTierIntegrationTests.setRequest).status == .ok)
                    #expect(try await nodeB.get(RedisTierIntegrationTests.request).xCache == "HIT-redis")
                    let json = try await summary(nodeB)
                    let cache = try object(json["cache"], "cache")
                    #expect(number(cache["lookups"]) == 1)
                    #expect(number(cache["hit_ratio"]) == 1)
                    #expect(number(try object(cache["hits_by_tier"], "hits_by_tier")["redis"]) == 1)
                    #expect(number(try object(cache["misses_by_tier"], "misses_by_tier")["edge"]) == 1)
                    let tier = try object(json["redis"], "redis")
                    #expect(jsonBool(tier["enabled"]) == true)
                    #expect(jsonBool(tier["up"]) == true)
                    #expect(tier["circuit"] as? String == "closed")
                    #expect(number(tier["promotions"]) == 1)

                    await redis.kill9()
                    let down = #"{"provider":"p","model":"m","messages":[{"role":"user","content":"down"}]}"#
                    let opened = await eventually(within: .seconds(10)) {
                        _ = try? await nodeB.get(down)
                        let redis = try? await summary(nodeB)["redis"] as? [String: Any]
                        return redis?["circuit"] as? String == "open"
                    }
                    #expect(opened, "the summary never showed the breaker open")
                    let after = try object(try await summary(nodeB)["redis"], "redis")
                    #expect(jsonBool(after["up"]) == false)
                    #expect((number(after["errors"]) ?? 0) > 0)
                }
            }
        }
    }

    @Test("summary and dashboard are public like /metrics: no key needed with API keys on")
    func publicWithKeysOn() async throws {
        try await withAuthServer { api in
            let key = try await api.provisionKey(tier: "enterprise")
            _ = try await api.set(Body.set(response: "1"), headers: keyHeaders(key))
            _ = try await api.get(Body.chat(), headers: keyHeaders(key))
            let json = try await summary(api)
            #expect(jsonBool(json["api_keys"]) == true)
            #expect(number(try object(json["cache"], "cache")["hits"]) == 1)
            #expect(try await api.request("/dashboard").status == .ok)
            // Tenant figures stay behind a key.
            try expectError(try await api.request("/api/stats"), .unauthorized, "API_KEY_REQUIRED")
            let routes = Dictionary(api.parts.routes.map { ($0.route, $0.access) }, uniquingKeysWith: { first, _ in first })
            #expect(routes["GET /api/metrics/summary"] == "public")
            #expect(routes["GET /dashboard"] == "public")
        }
    }

    @Test("the dashboard is one self-contained HTML page that loads nothing from elsewhere")
    func pageSelfContained() async throws {
        try await withTestServer { api in
            let reply = try await api.request("/dashboard")
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType] == "text/html; charset=utf-8")
            let policy = try #require(reply.headers[.contentSecurityPolicy])
            #expect(policy.contains("default-src 'none'") && policy.contains("connect-src 'self'"))
            let page = reply.text
            #expect(page.hasPrefix("<!doctype html>"))
            #expect(page.contains("/api/metrics/summary") && page.contains("/api/stats"))
            // No external script, stylesheet, font or image: nothing with src=, <link>, @import or url().
            for forbidden in ["src=", "<link", "@import", "url(", "//cdn", "fonts.googleapis"] {
                #expect(!page.contains(forbidden), "the page must not load '\(forbidden)'")
            }
            // The key travels in a header from session storage, never in a URL.
            #expect(page.contains("sessionStorage") && page.contains("'X-API-Key'"))
            #expect(!page.contains("?key=") && !page.contains("&key=") && !page.contains("localStorage"))
            #expect(try await api.request("/dashboard", method: .head).status == .ok)
        }
    }

    @Test("histogram quantiles follow PromQL's histogram_quantile")
    func histogramQuantile() {
        let buckets = HistogramBuckets(buckets: [(0.4, 8), (0.1, 0), (.infinity, 10), (0.2, 4)], sum: 2.5)
        #expect(buckets.count == 10)
        #expect(buckets.quantile(0.3) == 0.1 + 0.1 * (3.0 / 4.0))
        #expect(buckets.quantile(0.5) == 0.2 + 0.2 * (1.0 / 4.0))
        // The rank falls in +Inf: the highest finite bound.
        #expect(buckets.quantile(0.99) == 0.4)
        #expect(HistogramBuckets(buckets: [(0.1, 0), (.infinity, 0)], sum: 0).quantile(0.5) == nil)
        #expect(HistogramBuckets(buckets: [], sum: 0).quantile(0.5) == nil)
    }

    @Test("the exposition reader unescapes label values and skips comments and malformed lines")
    func exposition() {
        let text = """
            # HELP a_total A counter.
            # TYPE a_total counter
            a_total{route="/x",note="say \\"hi\\"\\\\ok"} 3
            a_total{route="/y"} 4.5
            b 1e3
            c{le="+Inf"} +Inf
            broken{route="/z" 1
            """
        let samples = PrometheusSamples(text: Array(text.utf8))
        #expect(samples.samples.count == 4)
        #expect(samples.samples.first?.labels["note"] == #"say "hi"\ok"#)
        #expect(samples.sum("a_total") == 7.5)
        #expect(samples.sum("a_total", ["route": "/y"]) == 4.5)
        #expect(samples.sum("b") == 1000)
        #expect(samples.sum("missing") == nil)
    }
}
