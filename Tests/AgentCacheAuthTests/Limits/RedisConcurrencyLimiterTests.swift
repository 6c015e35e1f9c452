import AgentCacheAuth
import AgentCacheRedis
import AgentCacheTestSupport
import Testing

/// The in-flight limit shared through Redis, against a real redis-server: two limiters on
/// one Redis stand for two nodes.
@Suite("RedisConcurrencyLimiter", .serialized)
struct RedisConcurrencyLimiterTests {
    @Test("two nodes share one limit of N: together they admit exactly N, other accounts are separate")
    func sharedAcrossNodes() async throws {
        try await withRedisServer { server in
            let clientA = makeClient(server)
            let clientB = makeClient(server)
            let nodeA = RedisConcurrencyLimiter(client: clientA)
            let nodeB = RedisConcurrencyLimiter(client: clientB)
            var held: [ConcurrencySlot] = []
            for index in 0..<10 {
                let node = index.isMultiple(of: 2) ? nodeA : nodeB
                held.append(try #require((try await node.acquire("acct", limit: 10).get())))
            }
            #expect((try await nodeA.acquire("acct", limit: 10).get()) == nil)
            #expect((try await nodeB.acquire("acct", limit: 10).get()) == nil)
            #expect((try await nodeB.acquire("other", limit: 10).get()) != nil)
            #expect(Set(held.compactMap(\.leaseID)).count == 10, "every slot is a distinct Redis lease")
            #expect(nodeA.fallback.current("acct") == 0 && nodeB.fallback.current("acct") == 0)
            let members = try await clientA.execute(["ZCARD", .string(RedisConcurrencyLimiter.key(account: "acct"))])
            #expect(members == .integer(10))
            await clientA.shutdown()
            await clientB.shutdown()
        }
    }

    @Test("a release on one node frees the slot for the other")
    func releaseFreesSlot() async throws {
        try await withRedisServer { server in
            let clientA = makeClient(server)
            let clientB = makeClient(server)
            let nodeA = RedisConcurrencyLimiter(client: clientA)
            let nodeB = RedisConcurrencyLimiter(client: clientB)
            let first = try #require((try await nodeA.acquire("acct", limit: 2).get()))
            _ = try #require((try await nodeA.acquire("acct", limit: 2).get()))
            #expect((try await nodeB.acquire("acct", limit: 2).get()) == nil)
            try await nodeA.release(first).get()
            #expect((try await nodeB.acquire("acct", limit: 2).get()) != nil)
            #expect((try await nodeB.acquire("acct", limit: 2).get()) == nil)
            await clientA.shutdown()
            await clientB.shutdown()
        }
    }

    @Test("a lease never released (its node crashed) expires and its slot is taken again")
    func expiredLeaseReclaimed() async throws {
        try await withRedisServer { server in
            let clientA = makeClient(server)
            let clientB = makeClient(server)
            // Node A "crashes" holding both slots: it never releases them.
            let crashed = RedisConcurrencyLimiter(client: clientA, leaseMillis: 1_000)
            let survivor = RedisConcurrencyLimiter(client: clientB, leaseMillis: 1_000)
            _ = try #require((try await crashed.acquire("acct", limit: 2).get()))
            _ = try #require((try await crashed.acquire("acct", limit: 2).get()))
            await clientA.shutdown()
            // Right after, the slots may or may not have expired on a slow machine; only
            // that they do come back within a generous bound is asserted.
            var reclaimed: ConcurrencySlot?
            let came = await eventually(within: .seconds(10)) {
                reclaimed = await survivor.acquire("acct", limit: 2).result.get(or: nil)
                return reclaimed != nil
            }
            #expect(came)
            #expect(reclaimed?.leaseID != nil, "taken in Redis, not by the fallback")
            await clientB.shutdown()
        }
    }

    @Test("with Redis down the node limits in process, releases there, and goes back to Redis when it returns")
    func fallsBackWhenRedisDown() async throws {
        try await withRedisServer { server in
            let client = makeClient(server, coolDown: .milliseconds(100))
            let limiter = RedisConcurrencyLimiter(client: client)
            #expect((try await limiter.acquire("acct", limit: 2).get())?.leaseID != nil)
            await server.kill9()
            let local = try #require((try await limiter.acquire("acct", limit: 2).get()))
            #expect(local.leaseID == nil, "decided in process")
            #expect(limiter.redis.isDown)
            #expect(limiter.fallback.current("acct") == 1)
            _ = try #require((try await limiter.acquire("acct", limit: 2).get()))
            #expect((try await limiter.acquire("acct", limit: 2).get()) == nil, "the fallback still enforces the limit per node")
            try await limiter.release(local).get()
            #expect(limiter.fallback.current("acct") == 1)
            try await server.restart()
            let back = await eventually(within: .seconds(10)) {
                guard let slot = await limiter.acquire("back", limit: 5).result.get(or: nil) else { return false }
                _ = await limiter.release(slot).result
                return slot.leaseID != nil
            }
            #expect(back)
            #expect(!limiter.redis.isDown)
            await client.shutdown()
        }
    }
}
