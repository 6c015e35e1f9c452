import AgentCacheCore
import AgentCacheRedis
import AgentCacheServer
import AgentCacheTestSupport
import Foundation
import HTTPTypes
import Testing

/// Real savings (SPEC §8) and the published client's `StatsResponse` (SPEC §1) through the real
/// HTTP stack (issue 12 items 5 and 6).
@Suite("Savings and the client's stats contract", .serialized)
struct SavingsStatsTests {
    /// An OpenAI chat completion for `gpt-4o` whose `usage` is 13 tokens (9 prompt, 4 completion).
    static let openAIAnswer =
        #"{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"4"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}"#

    /// What one hit on `openAIAnswer` saves by the shipped price table, in dollars.
    static var dollarsPerHit: Double {
        let price = PriceTable.shipped.price(of: "gpt-4o")!
        return (9 * price.inputPerMillion + 4 * price.outputPerMillion) / 1_000_000
    }

    static func stats(_ api: APIClient, _ query: String = "", headers: HTTPFields = [:]) async throws -> [String: Any] {
        let reply = try await api.request("/api/stats" + query, headers: headers)
        #expect(reply.status == .ok, "body: \(reply.text)")
        return try reply.object()
    }

    static func metrics(_ stats: [String: Any]) throws -> [String: Any] {
        try #require(stats["metrics"] as? [String: Any], "\(stats)")
    }

    static func quota(_ stats: [String: Any]) throws -> [String: Any] {
        try #require(stats["quota"] as? [String: Any], "\(stats)")
    }

    /// What `hits` hits on `openAIAnswer` saved, read three ways: `/api/stats` (the tenant's,
    /// `tenantHits` when other nodes' hits count too), `/metrics` and the dashboard summary
    /// (this node's).
    static func expectSaved(_ api: APIClient, hits: Int, tenantHits: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let tenantHits = tenantHits ?? hits
        let metrics = try Self.metrics(try await stats(api))
        #expect(metrics["tokens_saved"] as? Int == 13 * tenantHits, "\(metrics)", sourceLocation: sourceLocation)
        #expect(abs((number(metrics["cost_saved_usd"]) ?? -1) - Double(tenantHits) * dollarsPerHit) < 1e-9, "\(metrics)", sourceLocation: sourceLocation)
        #expect(metrics["cost_saved"] as? String == String(format: "$%.2f", Double(tenantHits) * dollarsPerHit), sourceLocation: sourceLocation)
        let tokens = 13 * hits
        let dollars = Double(hits) * dollarsPerHit
        let exposition = try await api.metrics()
        #expect(exposition.value(of: "agentcache_tokens_saved_total") == Double(tokens), sourceLocation: sourceLocation)
        #expect(abs((exposition.value(of: "agentcache_cost_saved_usd_total") ?? -1) - dollars) < 1e-9, sourceLocation: sourceLocation)
        let summary = try await api.request("/api/metrics/summary").object()
        let savings = try #require(summary["savings"] as? [String: Any], sourceLocation: sourceLocation)
        #expect(number(savings["tokens_saved"]) == Double(tokens), sourceLocation: sourceLocation)
    }

    @Test("10 hits on an answer with OpenAI usage of 13 tokens for gpt-4o: tokens_saved 130 and the shipped table's dollars")
    func tenEdgeHits() async throws {
        try await withTestServer { api in
            #expect(try await api.get(Body.chat()).xCache == "MISS")
            #expect(try await api.set(Body.set(response: Self.openAIAnswer)).status == .ok)
            for _ in 0..<10 {
                #expect(try await api.get(Body.chat()).xCache == "HIT-edge")
            }
            try await Self.expectSaved(api, hits: 10)
            let stats = try await Self.stats(api, "?period=1h")
            #expect(stats["period"] as? String == "1h")
            #expect(stats["namespace"] as? String == "default")
            let metrics = try Self.metrics(stats)
            #expect(metrics["total_requests"] as? Int == 11)
            #expect(metrics["cache_hits"] as? Int == 10)
            #expect(metrics["cache_misses"] as? Int == 1)
            #expect(number(metrics["hit_rate"]) == 90.91)
            #expect((number(metrics["avg_latency_ms"]) ?? -1) >= 0)
            // Open mode: no key, no plan, no quota (the published client's `quota` is optional).
            #expect(stats["quota"] == nil)
        }
    }

    @Test("the same 10 hits answered by the Redis tier (edge off) and on a second node save the same")
    func redisTierHits() async throws {
        try await withRedisServer { redis in
            let configure: @Sendable (inout ServerConfiguration) -> Void = { $0.redis = RedisClientConfiguration(url: redis.url) }
            try await withTestServer(configure: { configuration in
                configure(&configuration)
                configuration.edge.capacityBytes = 0
            }) { api in
                #expect(try await api.set(Body.set(response: Self.openAIAnswer)).status == .ok)
                for _ in 0..<10 {
                    #expect(try await api.get(Body.chat()).xCache == "HIT-redis")
                }
                try await Self.expectSaved(api, hits: 10)
            }
            // A second node never saw the set: its first hit is Redis's, the next ones the
            // promoted edge copy's, all with the cost the entry carries.
            try await withTestServer(configure: configure) { api in
                var tiers: [String?] = []
                for _ in 0..<10 { tiers.append(try await api.get(Body.chat()).xCache) }
                #expect(tiers == ["HIT-redis"] + Array(repeating: "HIT-edge", count: 9))
                // Tenant figures are shared through Redis: the first node's 10 hits count too.
                try await Self.expectSaved(api, hits: 10, tenantHits: 20)
            }
        }
    }

    @Test("cost_saved is dollars and cents as a string; cache.tokens and cache.cost_usd declare what an answer cost")
    func declaredCost() async throws {
        try await withTestServer { api in
            #expect(try await api.set(Body.set(response: #""4""#, #""cache":{"tokens":100,"cost_usd":1.234}"#)).status == .ok)
            for _ in 0..<10 { _ = try await api.get(Body.chat()) }
            let metrics = try Self.metrics(try await Self.stats(api))
            #expect(metrics["tokens_saved"] as? Int == 1_000)
            #expect(metrics["cost_saved"] as? String == "$12.34")
            #expect(number(metrics["cost_saved_usd"]) == 12.34)
        }
    }

    @Test("an absurd cost ($1e10, or 2^53 tokens of usage) counts at most $1 000 and 10^9 tokens per hit, and sums never trap")
    func absurdCostsAreBounded() async throws {
        try await withTestServer { api in
            let declared = Body.set(response: #""4""#, #""cache":{"cost_usd":1e10}"#)
            #expect(try await api.set(declared).status == .ok)
            for _ in 0..<5 { #expect(try await api.get(Body.chat()).status == .ok) }
            let usage = #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"usage"}],"response":{"usage":{"total_tokens":9007199254740992}}}"#
            #expect(try await api.set(usage).status == .ok)
            let get = #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"usage"}]}"#
            for _ in 0..<5 { #expect(try await api.get(get).status == .ok) }
            let metrics = try Self.metrics(try await Self.stats(api))
            #expect(metrics["tokens_saved"] as? Int == 5 * 1_000_000_000)
            #expect(number(metrics["cost_saved_usd"]).map { $0 >= 5_000 && $0 <= 10_000 } == true, "\(metrics)")
            #expect(try await api.request("/health").status == .ok)
        }
    }

    @Test("an answer without usage saves nothing and counts no savings; a check is no hit")
    func noUsage() async throws {
        try await withTestServer { api in
            _ = try await api.set(Body.set(response: #"{"content":"4"}"#))
            _ = try await api.get(Body.chat())
            _ = try await api.check(Body.chat())
            let metrics = try Self.metrics(try await Self.stats(api))
            #expect(metrics["cache_hits"] as? Int == 1)
            #expect(metrics["tokens_saved"] as? Int == 0)
            #expect(metrics["cost_saved"] as? String == "$0.00")
            #expect(try await api.metrics().value(of: "agentcache_tokens_saved_total") == 0)
        }
    }

    @Test("--prices: a price file merged over the shipped table prices the answer")
    func priceFileOverride() async throws {
        let file = try PriceTable(json: Array(#"{"as_of":"2026-01-01","models":{"gpt-4o":{"input":1000,"output":2000}}}"#.utf8))
        try await withTestServer(configure: { $0.prices = PriceTable.shipped.merging(file) }) { api in
            _ = try await api.set(Body.set(response: Self.openAIAnswer))
            _ = try await api.get(Body.chat())
            // 9 × $1000/1M + 4 × $2000/1M = $0.017.
            let metrics = try Self.metrics(try await Self.stats(api))
            #expect(number(metrics["cost_saved_usd"]) == 0.017)
            #expect(metrics["cost_saved"] as? String == "$0.02")
        }
    }

    /// The headers Node's fetch (undici) adds to every call of the client.
    static let fetchHeaders: [(String, String)] = [
        ("accept", "*/*"), ("accept-language", "*"), ("sec-fetch-mode", "cors"), ("user-agent", "node"), ("accept-encoding", "gzip, deflate"),
    ]

    static func clientHeaders(_ pairs: [(String, String)]) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in pairs + fetchHeaders { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        return fields
    }

    @Test("agentcache-client's get, set and stats replayed byte for byte: hit_rate, tokens_saved and usage_percent read back")
    func publishedClientReplay() async throws {
        try await withAuthServer { api in
            let key = try await api.provisionKey(tier: "free")
            // new AgentCache({ apiKey, baseUrl, namespace: 'jt_customer_42' }): get and set send
            // X-API-Key, X-Cache-Namespace and Content-Type; the body is JSON.stringify of the
            // fields (temperature left out when undefined); set adds response and ttl (default 604800).
            let cacheHeaders = Self.clientHeaders([("X-API-Key", key), ("X-Cache-Namespace", "jt_customer_42"), ("Content-Type", "application/json")])
            let get = #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"What is 2+2?"}],"temperature":0.7}"#
            let set = #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"What is 2+2?"}],"temperature":0.7,"response":\#(Self.openAIAnswer),"ttl":604800}"#
            let miss = try await api.post("/api/cache/get", get, headers: cacheHeaders)
            #expect(miss.status == .ok)
            #expect(jsonBool(try miss.object()["hit"]) == false)
            let stored = try await api.post("/api/cache/set", set, headers: cacheHeaders)
            #expect(stored.status == .ok)
            #expect(jsonBool(try stored.object()["success"]) == true)
            #expect(isISO8601(try stored.object()["cached_at"]))
            let hit = try await api.post("/api/cache/get", get, headers: cacheHeaders).object()
            #expect(jsonBool(hit["hit"]) == true)
            #expect(number(hit["latency_ms"]) != nil && isISO8601(hit["cached_at"]))

            // cachedLLMCall() stores JSON.stringify(result): a string holding the answer.
            let get2 = #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"And 3+3?"}]}"#
            let stringified = try String(decoding: JSONSerialization.data(withJSONObject: [Self.openAIAnswer], options: [.withoutEscapingSlashes]), as: UTF8.self).dropFirst().dropLast()
            let set2 = #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"And 3+3?"}],"response":\#(stringified)}"#
            #expect(try await api.post("/api/cache/set", set2, headers: cacheHeaders).status == .ok)
            #expect(jsonBool(try await api.post("/api/cache/get", get2, headers: cacheHeaders).object()["hit"]) == true)

            // stats('24h'): GET /api/stats?period=24h with X-API-Key alone.
            let reply = try await api.request("/api/stats?period=24h", headers: Self.clientHeaders([("X-API-Key", key)]))
            #expect(reply.status == .ok, "body: \(reply.text)")
            let stats = try reply.object()
            #expect(stats["period"] as? String == "24h")
            let metrics = try Self.metrics(stats)
            #expect(number(metrics["hit_rate"]) == 66.67, "2 hits of 3 lookups, in percent: \(metrics)")
            #expect(metrics["tokens_saved"] as? Int == 26)
            #expect(metrics["cache_hits"] as? Int == 2 && metrics["total_requests"] as? Int == 3)
            let quota = try Self.quota(stats)
            #expect(quota["monthly_limit"] as? Int == 10_000)
            #expect(quota["monthly_used"] as? Int == 6, "3 gets, 2 sets and this stats read")
            #expect(quota["monthly_remaining"] as? Int == 9_994)
            #expect(number(quota["usage_percent"]) == 0.06)
            #expect(stats["tier"] as? String == "free")
        }
    }

    @Test("?namespace= narrows to one client namespace of the caller's tenant, never another tenant's")
    func namespaceNarrowing() async throws {
        try await withAuthServer { api in
            let key = try await api.provisionKey(integration: "alpha", tier: "pro")
            let other = try await api.provisionKey(integration: "beta", tier: "pro")
            _ = try await api.set(Body.set(response: Self.openAIAnswer), headers: keyHeaders(key, namespace: "jt_customer_<script>"))
            for _ in 0..<3 { _ = try await api.get(Body.chat(), headers: keyHeaders(key, namespace: "jt_customer_<script>")) }
            _ = try await api.get(Body.chat(), headers: keyHeaders(key, namespace: "b"))
            // The other tenant uses the same client namespace name.
            _ = try await api.set(Body.set(response: Self.openAIAnswer), headers: keyHeaders(other, namespace: "jt_customer__script_"))
            _ = try await api.get(Body.chat(), headers: keyHeaders(other, namespace: "jt_customer__script_"))

            let narrowed = try await Self.stats(api, "?namespace=jt_customer_%3Cscript%3E", headers: keyHeaders(key))
            #expect(narrowed["namespace"] as? String == "jt_customer__script_")
            #expect(narrowed["tenant"] as? String == "alpha_p1")
            let a = try Self.metrics(narrowed)
            #expect(a["total_requests"] as? Int == 3 && a["cache_hits"] as? Int == 3 && a["tokens_saved"] as? Int == 39)
            #expect(number(a["hit_rate"]) == 100)
            #expect(a["api_requests"] == nil, "metered requests are the tenant's, not a namespace's")

            let b = try Self.metrics(try await Self.stats(api, "?namespace=b&period=1h", headers: keyHeaders(key)))
            #expect(b["total_requests"] as? Int == 1 && b["cache_misses"] as? Int == 1 && b["tokens_saved"] as? Int == 0)
            #expect(number(b["hit_rate"]) == 0)

            let whole = try await Self.stats(api, headers: keyHeaders(key))
            #expect(whole["namespace"] as? String == "alpha_p1")
            let tenant = try Self.metrics(whole)
            #expect(tenant["total_requests"] as? Int == 4 && tenant["cache_hits"] as? Int == 3 && tenant["tokens_saved"] as? Int == 39)
            #expect(tenant["api_requests"] as? Int == 8, "the set, 4 gets and the 3 stats reads")

            let unused = try Self.metrics(try await Self.stats(api, "?namespace=never-used", headers: keyHeaders(key)))
            #expect(unused["total_requests"] as? Int == 0 && unused["tokens_saved"] as? Int == 0)
            let beta = try Self.metrics(try await Self.stats(api, "?namespace=jt_customer__script_", headers: keyHeaders(other)))
            #expect(beta["total_requests"] as? Int == 1 && beta["tokens_saved"] as? Int == 13)

            let tooLong = try await api.request("/api/stats?namespace=" + String(repeating: "n", count: 65), headers: keyHeaders(key))
            try expectError(tooLong, .badRequest, "INVALID_REQUEST")
        }
    }
}
