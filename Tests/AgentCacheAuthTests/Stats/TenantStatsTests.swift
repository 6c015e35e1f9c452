import AgentCacheAuth
import AgentCacheRedis
import AgentCacheTestSupport
import Testing

/// `TenantStats` with and without a Redis store, against a real redis-server.
@Suite("TenantStats", .serialized)
struct TenantStatsTests {
    static let hour: Int64 = 3_600_000
    static let t0: Int64 = 1_700_000_000_000

    @Test("in memory: periods sum only their hours and tenants are separate")
    func inMemory() async {
        let stats = TenantStats()
        stats.record(tenant: "a", atMillis: Self.t0, hit: nil)
        stats.record(tenant: "a", atMillis: Self.t0 + 3 * Self.hour, hit: true, request: false)
        stats.record(tenant: "b", atMillis: Self.t0 + 3 * Self.hour)
        #expect(await stats.totals(tenant: "a", hours: 1, atMillis: Self.t0 + 3 * Self.hour) == .init(requests: 0, hits: 1))
        #expect(await stats.totals(tenant: "a", hours: 24, atMillis: Self.t0 + 3 * Self.hour) == .init(requests: 1, hits: 1))
        #expect(await stats.totals(tenant: "b", hours: 24, atMillis: Self.t0 + 3 * Self.hour) == .init(requests: 1))
    }

    @Test("with Redis: a second node reads what the first flushed, plus its own unflushed counts")
    func sharedAcrossNodes() async throws {
        try await withRedisServer { server in
            let clientA = makeClient(server)
            let clientB = makeClient(server)
            let nodeA = TenantStats(shared: RedisStatsStore(client: clientA))
            let nodeB = TenantStats(shared: RedisStatsStore(client: clientB))
            nodeA.record(tenant: "t", atMillis: Self.t0, hit: false)
            nodeA.record(tenant: "t", atMillis: Self.t0 + Self.hour, hit: true)
            #expect(await nodeB.totals(tenant: "t", hours: 24, atMillis: Self.t0 + Self.hour) == .init(), "not flushed yet")
            await nodeA.flush()
            nodeB.record(tenant: "t", atMillis: Self.t0 + Self.hour)
            #expect(await nodeB.totals(tenant: "t", hours: 24, atMillis: Self.t0 + Self.hour) == .init(requests: 3, hits: 1, misses: 1))
            #expect(await nodeB.totals(tenant: "t", hours: 1, atMillis: Self.t0 + Self.hour) == .init(requests: 2, hits: 1))
            #expect(await nodeB.totals(tenant: "other", hours: 24, atMillis: Self.t0 + Self.hour) == .init())
            await clientA.shutdown()
            await clientB.shutdown()
        }
    }

    @Test("with Redis down, reads fall back to the node's own figures and the batch waits for Redis")
    func fallsBackAndKeepsBatch() async throws {
        try await withRedisServer { server in
            let client = makeClient(server, coolDown: .milliseconds(100))
            let stats = TenantStats(shared: RedisStatsStore(client: client))
            stats.record(tenant: "t", atMillis: Self.t0, hit: true)
            await server.kill9()
            await stats.flush()
            #expect(stats.shared?.redis.isDown == true)
            #expect(await stats.totals(tenant: "t", hours: 1, atMillis: Self.t0) == .init(requests: 1, hits: 1))
            try await server.restart()
            let stored = await eventually(within: .seconds(10)) {
                await stats.flush()
                return stats.shared?.redis.isDown == false
            }
            #expect(stored)
            let reader = TenantStats(shared: RedisStatsStore(client: client))
            #expect(await reader.totals(tenant: "t", hours: 1, atMillis: Self.t0) == .init(requests: 1, hits: 1))
            await client.shutdown()
        }
    }
}
