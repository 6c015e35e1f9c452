import AgentCacheCore
import AgentCacheRedis
import AgentCacheServer
import AgentCacheTestSupport
import Foundation
import Testing

/// The Redis tier through the real HTTP stack and a real redis-server (issue 3's done-when):
/// restarts, two nodes sharing one Redis, a hung Redis, a killed and restarted Redis.
@Suite("Redis tier through the API", .serialized)
struct RedisTierIntegrationTests {
    static let request = #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"What is 2+2?"}],"namespace":"shared"}"#
    static let setRequest = #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"What is 2+2?"}],"namespace":"shared","response":{"content":"4"},"ttl":600}"#

    static func configure(_ redis: RedisServerProcess, timeout: Duration = .milliseconds(250)) -> (inout ServerConfiguration) -> Void {
        { configuration in
            configuration.redis = RedisClientConfiguration(
                url: redis.url,
                connectTimeout: timeout,
                commandTimeout: timeout,
                breakerFailureThreshold: 3,
                breakerCoolDown: .milliseconds(500),
                healthCheckInterval: .milliseconds(250)
            )
        }
    }

    static func redisStatus(_ api: APIClient) async throws -> (overall: String?, redis: String?) {
        let health = try await api.request("/health").object()
        let tiers = health["tiers"] as? [String: Any]
        let redis = tiers?["redis"] as? [String: Any]
        return (health["status"] as? String, redis?["status"] as? String)
    }

    @Test("an entry set before a restart is served after it from Redis, then from the edge")
    func survivesRestart() async throws {
        try await withRedisServer { redis in
            let clock = ManualClock(millis: testEpochMillis)
            try await withTestServer(clock: clock, configure: Self.configure(redis)) { api in
                let stored = try await api.set(Self.setRequest)
                #expect(stored.status == .ok)
            }
            try await withTestServer(clock: clock, configure: Self.configure(redis)) { api in
                let first = try await api.get(Self.request)
                let firstBody = try first.object()
                #expect(first.xCache == "HIT-redis")
                #expect(firstBody["tier"] as? String == "redis")
                #expect(try canonicalJSON(firstBody["response"]) == canonicalJSON(["content": "4"]))
                let second = try await api.get(Self.request)
                #expect(second.xCache == "HIT-edge")
                #expect(try second.object()["tier"] as? String == "edge")
            }
        }
    }

    @Test("an entry deleted on one node (invalidate with the get fields) misses on the other, which held it in its edge tier")
    func twoNodesDeleteOneEntry() async throws {
        try await Self.withTwoNodesSharingAnEntry { redis, nodeA, nodeB in
            let deleted = try await nodeA.invalidate(Self.request)
            #expect(deleted.status == .ok)
            #expect(try deleted.object()["deleted"] as? Bool == true)
            #expect(await eventually(within: .seconds(5)) { (try? await nodeB.get(Self.request).xCache) == "MISS" })

            // While Redis is hung a deletion cannot reach B: not acknowledged.
            #expect(try await nodeA.set(Self.setRequest).status == .ok)
            await redis.freeze()
            defer { redis.thaw() }
            let refused = try await nodeA.invalidate(Self.request)
            #expect(refused.status == .serviceUnavailable)
            #expect(try refused.object()["code"] as? String == "SERVICE_UNAVAILABLE")
            redis.thaw()
        }
    }

    /// Two nodes on one fresh redis-server, both listening for invalidations, with the chat
    /// entry set through A and held in B's edge tier (read once from Redis, then from the edge).
    static func withTwoNodesSharingAnEntry(_ body: @Sendable @escaping (RedisServerProcess, APIClient, APIClient) async throws -> Void) async throws {
        try await withRedisServer { redis in
            try await withTestServer(configure: configure(redis)) { nodeA in
                try await withTestServer(configure: configure(redis)) { nodeB in
                    // Both nodes must be listening for invalidations before the test relies on them.
                    #expect(await eventually(within: .seconds(5)) { nodeA.parts.redis?.subscriber.isSubscribed == true })
                    #expect(await eventually(within: .seconds(5)) { nodeB.parts.redis?.subscriber.isSubscribed == true })
                    #expect(try await nodeA.set(setRequest).status == .ok)
                    // B has never seen it: it comes from Redis, then sits in B's edge tier.
                    #expect(try await nodeB.get(request).xCache == "HIT-redis")
                    #expect(try await nodeB.get(request).xCache == "HIT-edge")
                    try await body(redis, nodeA, nodeB)
                }
            }
        }
    }

    @Test("two nodes on one Redis share entries, and an invalidation on one misses on the other (the latency is a benchmark figure, not asserted here)")
    func twoNodesShareAndInvalidate() async throws {
        try await Self.withTwoNodesSharingAnEntry { _, nodeA, nodeB in
            let invalidated = try await nodeA.invalidate(#"{"namespace":"shared"}"#).object()
            let generation = (invalidated["generation"] as? NSNumber)?.uint64Value ?? 0
            #expect(generation >= 1 && generation <= RedisGenerations.maxEpoch, "a random epoch: \(generation)")
            let started = ContinuousClock.now
            let missed = await eventually(within: .seconds(10)) {
                (try? await nodeB.get(Self.request).xCache) == "MISS"
            }
            #expect(missed, "node B still hit \(ContinuousClock.now - started) after node A invalidated")
            // B dropped the namespace's edge entries rather than waiting for them to age out.
            #expect(await eventually(within: .seconds(10)) { (try? await nodeB.edgeEntries()) == 0 })
        }
    }

    @Test("with Redis SIGSTOPped, gets and sets still answer and health says degraded, then ok after SIGCONT")
    func hungRedisFailsOpen() async throws {
        try await withRedisServer { redis in
            try await withTestServer(configure: Self.configure(redis)) { api in
                #expect(try await api.set(Self.setRequest).status == .ok)
                await redis.freeze()
                defer { redis.thaw() }

                for index in 0..<5 {
                    let other = #"{"provider":"p","model":"m","messages":[{"role":"user","content":"hung \#(index)"}]}"#
                    let started = ContinuousClock.now
                    let miss = try await api.get(other)
                    #expect(miss.status == .ok)
                    let set = try await api.set(String(other.dropLast()) + #","response":"stored while hung"}"#)
                    #expect(set.status == .ok)
                    // Never a hang; the latency bound is scripts/faults' (redis-sigstop).
                    #expect(ContinuousClock.now - started < .seconds(10))
                    // The edge tier keeps answering what it holds.
                    #expect(try await api.get(other).xCache == "HIT-edge")
                }
                #expect(try await api.get(Self.request).xCache == "HIT-edge")
                #expect(await eventually(within: .seconds(10)) { (try? await Self.redisStatus(api).overall) == "degraded" })
                #expect(try await Self.redisStatus(api).redis == "degraded")
                // An invalidation other nodes cannot be told of is not acknowledged (SPEC §4):
                // 503 with Retry-After; this node has dropped the namespace all the same.
                let refused = try await api.invalidate(#"{"namespace":"shared"}"#)
                #expect(refused.status == .serviceUnavailable)
                #expect(refused.headers[.retryAfter] == "1")
                #expect(try refused.object()["code"] as? String == "SERVICE_UNAVAILABLE")
                #expect(try await api.get(Self.request).xCache == "MISS")

                redis.thaw()
                #expect(await eventually(within: .seconds(5)) { (try? await Self.redisStatus(api).overall) == "ok" })
                // Writes reach Redis again.
                let after = #"{"provider":"p","model":"m","messages":[{"role":"user","content":"after thaw"}],"response":1}"#
                #expect(try await api.set(after).status == .ok)
                let client = makeClient(redis)
                defer { Task { await client.shutdown() } }
                #expect(await eventually(within: .seconds(10)) {
                    guard case .array(let keys)? = try? await client.execute(["KEYS", "ac:*"]) else { return false }
                    return keys.count >= 2
                })
            }
        }
    }

    @Test("Redis killed and restarted: the server recovers without a restart of its own")
    func recoversFromRedisRestart() async throws {
        try await withRedisServer { redis in
            try await withTestServer(configure: Self.configure(redis)) { api in
                #expect(try await api.set(Self.setRequest).status == .ok)
                await redis.kill9()
                let whileDown = #"{"provider":"p","model":"m","messages":[{"role":"user","content":"down"}]}"#
                #expect(try await api.get(whileDown).status == .ok)
                #expect(await eventually(within: .seconds(10)) { (try? await Self.redisStatus(api).overall) == "degraded" })

                try await redis.restart()
                #expect(await eventually(within: .seconds(5)) { (try? await Self.redisStatus(api).overall) == "ok" })
                // The restarted Redis is empty; a set now must land in it and be readable back.
                let fresh = #"{"provider":"p","model":"m","messages":[{"role":"user","content":"after restart"}],"response":"x"}"#
                #expect(await eventually(within: .seconds(10)) {
                    _ = try? await api.set(fresh)
                    let client = makeClient(redis)
                    defer { Task { await client.shutdown() } }
                    guard case .array(let keys)? = try? await client.execute(["KEYS", "ac:*"]) else { return false }
                    return !keys.isEmpty
                })
            }
        }
    }
}
