import AgentCacheAuth
import AgentCacheCore
import AgentCacheRedis
import AgentCacheServer
import AgentCacheTestSupport
import HTTPTypes
import NIOConcurrencyHelpers
import Testing

/// With Redis, `GET /api/stats` figures are every node's and survive restarts (SPEC §6, §7).
@Suite("API keys: stats shared through Redis", .serialized)
struct AuthSharedStatsTests {
    /// The answer's `metrics` (hits, misses, api_requests, ...) with `namespace` beside them.
    static func stats(_ api: APIClient, _ key: String, period: String) async throws -> [String: Any] {
        let reply = try await api.request("/api/stats?period=\(period)", headers: keyHeaders(key))
        #expect(reply.status == .ok, "body: \(reply.text)")
        let body = try reply.object()
        var metrics = try #require(body["metrics"] as? [String: Any])
        metrics["namespace"] = body["namespace"]
        return metrics
    }

    @Test("stats counted by one server are read by a second one on the same Redis, per tenant, and after both restart")
    func sharedAndDurable() async throws {
        try await withRedisServer { redis in
            let url = redis.url
            let configure: @Sendable (inout ServerConfiguration) -> Void = { $0.redis = RedisClientConfiguration(url: url) }
            let clock = ManualClock(millis: testEpochMillis)
            let polls = NIOLockedValueBox(0)
            let (a, b) = try await withAuthServer(clock: clock, configure: configure) { node1 in
                let a = try await node1.provisionKey(integration: "alpha", tier: "pro")
                let b = try await node1.provisionKey(integration: "beta", tier: "free")
                // beta first: once alpha's last hit reached Redis, beta's miss has too.
                _ = try await node1.get(Body.chat(), headers: keyHeaders(b))
                _ = try await node1.get(Body.chat(), headers: keyHeaders(a))
                _ = try await node1.set(Body.set(response: "1"), headers: keyHeaders(a))
                _ = try await node1.get(Body.chat(), headers: keyHeaders(a))
                _ = try await node1.get(Body.chat(), headers: keyHeaders(a))
                try await withAuthServer(clock: clock, configure: configure) { node2 in
                    // node1 flushes every second; wait for it within a generous bound.
                    var seen: [String: Any] = [:]
                    let arrived = await eventually(within: .seconds(15)) {
                        polls.withLockedValue { $0 += 1 }
                        seen = (try? await Self.stats(node2, a, period: "1h")) ?? [:]
                        return seen["cache_hits"] as? Int == 2 && seen["cache_misses"] as? Int == 1
                    }
                    #expect(arrived, "node2 saw \(seen)")
                    #expect(seen["namespace"] as? String == "alpha_p1")
                    let statsB = try await Self.stats(node2, b, period: "24h")
                    #expect(statsB["namespace"] as? String == "beta_p1")
                    #expect(statsB["cache_hits"] as? Int == 0)
                    #expect(statsB["cache_misses"] as? Int == 1)
                    #expect(statsB["api_requests"] as? Int == 2, "beta's get on node1 and this request, nothing of alpha's")
                }
                return (a, b)
            }
            // Both servers are gone; their last batches were flushed at shutdown.
            try await withAuthServer(clock: clock, configure: configure) { node3 in
                let statsA = try await Self.stats(node3, a, period: "24h")
                #expect(statsA["cache_hits"] as? Int == 2)
                #expect(statsA["cache_misses"] as? Int == 1)
                #expect(statsA["api_requests"] as? Int == 4 + polls.withLockedValue { $0 } + 1, "\(statsA)")
                #expect(number(statsA["hit_rate"]) == 66.67)
                let statsB = try await Self.stats(node3, b, period: "24h")
                #expect(statsB["api_requests"] as? Int == 3)
                #expect(statsB["cache_misses"] as? Int == 1)
            }
            let client = RedisClient(url: url)
            // 2023-11-14T22:13:20Z is hour 2023111422.
            let ttl = try await client.execute(["TTL", "ac:stats:alpha_p1:2023111422"]).integer ?? -2
            #expect(ttl > 30 * 86_400 && ttl <= 31 * 86_400)
            await client.shutdown()
        }
    }

    @Test("with Redis, each period sums only its hours: 1h, 24h, 7d, 30d")
    func periodFiltering() async throws {
        try await withRedisServer { redis in
            let url = redis.url
            let configure: @Sendable (inout ServerConfiguration) -> Void = { $0.redis = RedisClientConfiguration(url: url) }
            let clock = ManualClock(millis: testEpochMillis)
            let key = try await withAuthServer(clock: clock, configure: configure) { api in
                let key = try await api.provisionKey()
                _ = try await api.get(Body.chat(), headers: keyHeaders(key))
                _ = try await api.get(Body.chat(), headers: keyHeaders(key))
                clock.advance(by: 2 * 3_600_000)
                _ = try await api.get(Body.chat(), headers: keyHeaders(key))
                return key
            }
            // Read back on a fresh server, so the figures come from Redis.
            try await withAuthServer(clock: clock, configure: configure) { api in
                let hour = try await Self.stats(api, key, period: "1h")
                #expect(hour["cache_misses"] as? Int == 1)
                #expect(hour["api_requests"] as? Int == 2, "the last get and this request")
                let day = try await Self.stats(api, key, period: "24h")
                #expect(day["cache_misses"] as? Int == 3)
                #expect(day["api_requests"] as? Int == 5)
                clock.advance(by: 8 * 86_400_000)
                let week = try await Self.stats(api, key, period: "7d")
                #expect(week["cache_misses"] as? Int == 0)
                #expect(week["api_requests"] as? Int == 1, "only this request is in the last 7 days")
                let month = try await Self.stats(api, key, period: "30d")
                #expect(month["cache_misses"] as? Int == 3)
                #expect(month["api_requests"] as? Int == 7)
            }
        }
    }
}
