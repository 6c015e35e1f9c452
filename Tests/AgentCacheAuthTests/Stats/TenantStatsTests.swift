import AgentCacheAuth
import AgentCacheCore
import AgentCacheRedis
import AgentCacheTestSupport
import Testing

/// `TenantStats` with and without a Redis store, against a real redis-server.
@Suite("TenantStats", .serialized)
struct TenantStatsTests {
    static let hour: Int64 = 3_600_000
    static let t0: Int64 = 1_700_000_000_000

    static func namespace(_ tenant: String, _ name: String) -> CacheNamespace {
        CacheNamespace(tenant: tenant, name: name)
    }

    @Test("in memory: periods sum only their hours and tenants are separate")
    func inMemory() async {
        let stats = TenantStats()
        stats.recordRequest(tenant: "a", atMillis: Self.t0)
        stats.recordLookup(in: Self.namespace("a", "default"), atMillis: Self.t0 + 3 * Self.hour, hit: true)
        stats.recordRequest(tenant: "b", atMillis: Self.t0 + 3 * Self.hour)
        #expect(await stats.totals(row: "a", hours: 1, atMillis: Self.t0 + 3 * Self.hour) == .init(requests: 0, hits: 1))
        #expect(await stats.totals(row: "a", hours: 24, atMillis: Self.t0 + 3 * Self.hour) == .init(requests: 1, hits: 1))
        #expect(await stats.totals(row: "b", hours: 24, atMillis: Self.t0 + 3 * Self.hour) == .init(requests: 1))
    }

    @Test("a hit adds its entry's tokens and nanodollars, and its time, to the tenant row and its namespace row")
    func savingsPerNamespace() async {
        let stats = TenantStats()
        let saved = AnswerCost(tokens: 13, nanodollars: 62_500)
        for _ in 0..<10 {
            stats.recordLookup(in: Self.namespace("t", "one"), atMillis: Self.t0, hit: true, saved: saved, micros: 40)
        }
        stats.recordLookup(in: Self.namespace("t", "two"), atMillis: Self.t0, hit: false, micros: 100)
        stats.recordLookup(in: Self.namespace("u", "one"), atMillis: Self.t0, hit: true, saved: saved)
        let one = await stats.totals(row: TenantStats.row(Self.namespace("t", "one")), hours: 1, atMillis: Self.t0)
        #expect(one == .init(hits: 10, tokensSaved: 130, nanodollarsSaved: 625_000, timedLookups: 10, lookupMicros: 400))
        let two = await stats.totals(row: "t/two", hours: 1, atMillis: Self.t0)
        #expect(two == .init(misses: 1, timedLookups: 1, lookupMicros: 100))
        let tenant = await stats.totals(row: TenantStats.row(tenant: "t"), hours: 1, atMillis: Self.t0)
        #expect(tenant == .init(hits: 10, misses: 1, tokensSaved: 130, nanodollarsSaved: 625_000, timedLookups: 11, lookupMicros: 500))
        #expect(await stats.totals(row: "u", hours: 1, atMillis: Self.t0) == .init(hits: 1, tokensSaved: 13, nanodollarsSaved: 62_500))
    }

    @Test("records from many threads at once all count, read while they are written")
    func concurrentRecords() async {
        let stats = TenantStats()
        let saved = AnswerCost(tokens: 2, nanodollars: 3)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<5_000 {
                        stats.recordRequest(tenant: "t", atMillis: Self.t0)
                        stats.recordLookup(in: Self.namespace("t", "n\(task % 2)"), atMillis: Self.t0, hit: index % 2 == 0, saved: saved)
                    }
                }
            }
            group.addTask {
                for _ in 0..<50 { _ = await stats.totals(row: "t", hours: 1, atMillis: Self.t0) }
            }
        }
        let total = await stats.totals(row: "t", hours: 1, atMillis: Self.t0)
        #expect(total == .init(requests: 40_000, hits: 20_000, misses: 20_000, tokensSaved: 40_000, nanodollarsSaved: 60_000))
        #expect(await stats.totals(row: "t/n0", hours: 1, atMillis: Self.t0).hits == 10_000)
    }

    @Test("with Redis: a second node reads what the first flushed, plus its own unflushed counts, per tenant and namespace")
    func sharedAcrossNodes() async throws {
        try await withRedisServer { server in
            let clientA = makeClient(server)
            let clientB = makeClient(server)
            let nodeA = TenantStats(shared: RedisStatsStore(client: clientA))
            let nodeB = TenantStats(shared: RedisStatsStore(client: clientB))
            let saved = AnswerCost(tokens: 13, nanodollars: 62_500)
            nodeA.recordRequest(tenant: "t", atMillis: Self.t0)
            nodeA.recordLookup(in: Self.namespace("t", "a"), atMillis: Self.t0, hit: false)
            nodeA.recordRequest(tenant: "t", atMillis: Self.t0 + Self.hour)
            nodeA.recordLookup(in: Self.namespace("t", "a"), atMillis: Self.t0 + Self.hour, hit: true, saved: saved, micros: 7)
            #expect(await nodeB.totals(row: "t", hours: 24, atMillis: Self.t0 + Self.hour) == .init(), "not flushed yet")
            await nodeA.flush()
            nodeB.recordRequest(tenant: "t", atMillis: Self.t0 + Self.hour)
            let day = await nodeB.totals(row: "t", hours: 24, atMillis: Self.t0 + Self.hour)
            #expect(day == .init(requests: 3, hits: 1, misses: 1, tokensSaved: 13, nanodollarsSaved: 62_500, timedLookups: 1, lookupMicros: 7))
            #expect(await nodeB.totals(row: "t", hours: 1, atMillis: Self.t0 + Self.hour) == .init(requests: 2, hits: 1, tokensSaved: 13, nanodollarsSaved: 62_500, timedLookups: 1, lookupMicros: 7))
            #expect(await nodeB.totals(row: "t/a", hours: 24, atMillis: Self.t0 + Self.hour).tokensSaved == 13)
            #expect(await nodeB.totals(row: "t/b", hours: 24, atMillis: Self.t0 + Self.hour) == .init())
            #expect(await nodeB.totals(row: "other", hours: 24, atMillis: Self.t0 + Self.hour) == .init())
            await clientA.shutdown()
            await clientB.shutdown()
        }
    }

    @Test("with Redis down, reads fall back to the node's own figures and the batch waits for Redis")
    func fallsBackAndKeepsBatch() async throws {
        try await withRedisServer { server in
            let client = makeClient(server, coolDown: .milliseconds(100))
            let stats = TenantStats(shared: RedisStatsStore(client: client))
            stats.recordRequest(tenant: "t", atMillis: Self.t0)
            stats.recordLookup(in: Self.namespace("t", "default"), atMillis: Self.t0, hit: true)
            await server.kill9()
            await stats.flush()
            #expect(stats.shared?.redis.isDown == true)
            #expect(await stats.totals(row: "t", hours: 1, atMillis: Self.t0) == .init(requests: 1, hits: 1))
            try await server.restart()
            let stored = await eventually(within: .seconds(10)) {
                await stats.flush()
                return stats.shared?.redis.isDown == false
            }
            #expect(stored)
            let reader = TenantStats(shared: RedisStatsStore(client: client))
            #expect(await reader.totals(row: "t", hours: 1, atMillis: Self.t0) == .init(requests: 1, hits: 1))
            await client.shutdown()
        }
    }
}
