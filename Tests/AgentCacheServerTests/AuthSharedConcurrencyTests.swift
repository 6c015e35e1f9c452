import AgentCacheAuth
import AgentCacheCore
import AgentCacheRedis
import AgentCacheServer
import AgentCacheTestSupport
import HTTPTypes
import Testing

/// The enterprise limit of 100 requests in flight holds across nodes when Redis is
/// configured (SPEC §5, §7).
@Suite("API keys: concurrency limit shared through Redis", .serialized)
struct AuthSharedConcurrencyTests {
    /// Holding 100 real HTTP requests open is impractical, and the test is of the standard
    /// enterprise limit (not a `--tier-limit` override), so a third "node" (a
    /// `RedisConcurrencyLimiter` on the same Redis) holds the slots while two real servers answer.
    @Test("with 100 enterprise requests in flight elsewhere, both servers refuse a request that must wait with 429 (an edge hit answered at once holds no slot); one released slot lets one in, and it is given back")
    func enterpriseLimitAcrossNodes() async throws {
        try await withRedisServer { redis in
            let url = redis.url
            let configure: @Sendable (inout ServerConfiguration) -> Void = { $0.redis = RedisClientConfiguration(url: url) }
            try await withAuthServer(configure: configure) { node1 in
                let key = try await node1.provisionKey(tier: "enterprise")
                try await withAuthServer(configure: configure) { node2 in
                    #expect(try await node2.check(Body.chat(), headers: keyHeaders(key)).status == .ok)
                    #expect(try await node2.set(Body.set(response: "1"), headers: keyHeaders(key)).status == .ok)
                    let client = RedisClient(url: url)
                    let elsewhere = RedisConcurrencyLimiter(client: client)
                    let account = try APIKey.parse(key).digest
                    var held: [ConcurrencySlot] = []
                    for _ in 0..<100 { held.append(try #require(await elsewhere.acquire(account, limit: 100).get())) }
                    // An edge hit answered at once holds no slot (KeyAuthority.hold): it still answers.
                    #expect(try await node2.get(Body.chat(), headers: keyHeaders(key)).xCache == "HIT-edge")
                    for node in [node1, node2] {
                        let refused = try await node.check(Body.chat(), headers: keyHeaders(key))
                        try expectError(refused, .tooManyRequests, "RATE_LIMIT_EXCEEDED")
                        #expect(refused.headers[.retryAfter] == "1")
                        #expect(refused.text.contains("concurrent"))
                    }
                    try await elsewhere.release(held[0]).get()
                    #expect(try await node2.check(Body.chat(), headers: keyHeaders(key)).status == .ok)
                    // node2 released its lease before answering, so node1 finds the slot free.
                    #expect(try await node1.check(Body.chat(), headers: keyHeaders(key)).status == .ok)
                    let leases = try await client.execute(["ZCARD", .string(RedisConcurrencyLimiter.key(account: account))])
                    #expect(leases == .integer(99))
                    await client.shutdown()
                }
            }
        }
    }
}
