import AgentCacheCore
import AgentCacheRedis
import AgentCacheServer
import AgentCacheTestSupport
import Foundation
import Testing

/// SPEC §4's invariant through the real HTTP stack and a real redis-server (issue 11, item 3):
/// once an invalidation is acknowledged, no node serves an entry written before it, whatever
/// Redis loses afterwards (a `DEL`, `FLUSHALL`, a restart without persistence, eviction).
/// Every scenario ends with gets on every node that must miss.
@Suite("Invalidation survives what Redis loses", .serialized)
struct InvalidationInvariantTests {
    static let get = #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"namespace":"hot"}"#
    static let set = #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"namespace":"hot","response":{"content":"A"}}"#
    static let getLater = #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"later"}],"namespace":"hot"}"#
    static let setLater = #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"later"}],"namespace":"hot","response":{"content":"B"}}"#
    static let hot = CacheNamespace(tenant: "default", name: "hot")
    static let generationKey = "ac:gen:default/hot"

    /// A fresh redis-server (set up by `prepare`), a client of it, and two nodes on it, both
    /// listening for invalidations before `body` runs.
    static func withTwoNodes(
        prepare: (RedisClient) async throws -> Void = { _ in },
        _ body: @escaping @Sendable (RedisServerProcess, RedisClient, APIClient, APIClient) async throws -> Void
    ) async throws {
        try await withRedisServer { redis in
            let client = makeClient(redis)
            defer { Task { await client.shutdown() } }
            try await prepare(client)
            try await withTestServer(configure: RedisTierIntegrationTests.configure(redis)) { nodeA in
                try await withTestServer(configure: RedisTierIntegrationTests.configure(redis)) { nodeB in
                    #expect(await eventually(within: .seconds(5)) {
                        nodeA.parts.redis?.subscriber.isSubscribed == true && nodeB.parts.redis?.subscriber.isSubscribed == true
                    })
                    try await body(redis, client, nodeA, nodeB)
                }
            }
        }
    }

    /// The issue's steps: set `A` in `hot` on node A, read it on node B (from Redis, then its
    /// edge), invalidate `hot` on node A; both miss. Returns the generation the answer gave.
    static func setAndInvalidate(_ nodeA: APIClient, _ nodeB: APIClient) async throws -> UInt64 {
        #expect(try await nodeA.set(set).status == .ok)
        #expect(try await nodeB.get(get).xCache == "HIT-redis")
        #expect(try await nodeB.get(get).xCache == "HIT-edge")
        let answer = try await nodeA.invalidate(#"{"namespace":"hot"}"#).object()
        #expect(jsonBool(answer["success"]) == true)
        #expect(answer["namespace"] as? String == "hot")
        let generation = try #require((answer["generation"] as? NSNumber)?.uint64Value)
        #expect(generation >= 1 && generation <= RedisGenerations.maxEpoch, "a random epoch, exact in JSON")
        await awaitMiss(get, on: [nodeA, nodeB])
        return generation
    }

    /// Every node answers `MISS` for `body` now.
    static func expectMiss(_ body: String, on nodes: [APIClient], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for (index, node) in nodes.enumerated() {
            let reply = try await node.get(body)
            #expect(reply.xCache == "MISS", "node \(index) answered \(reply.text)", sourceLocation: sourceLocation)
        }
    }

    /// Every node answers `MISS` for `body` once a broadcast on its way has arrived (a bounded
    /// poll), and keeps doing so.
    static func awaitMiss(_ body: String, on nodes: [APIClient], sourceLocation: SourceLocation = #_sourceLocation) async {
        for (index, node) in nodes.enumerated() {
            let missed = await eventually(within: .seconds(5)) { (try? await node.get(body).xCache) == "MISS" }
            let again = try? await node.get(body)
            #expect(missed && again?.xCache == "MISS", "node \(index) answered \(again?.text ?? "nothing")", sourceLocation: sourceLocation)
        }
    }

    /// Waits (bounded) until every node holds the generation Redis holds for `hot`; returns it.
    static func awaitAgreement(_ nodes: [APIClient], _ client: RedisClient) async -> UInt64? {
        var shared: UInt64?
        let agreed = await eventually(within: .seconds(10)) {
            shared = (try? await client.execute(["GET", .string(generationKey)]))?.integer.map { UInt64($0) }
            return shared != nil && nodes.allSatisfy { $0.parts.engine.generations.generation(of: hot).atHand == shared }
        }
        #expect(agreed, "nodes at \(nodes.map { $0.parts.engine.generations.generation(of: hot).atHand }), Redis at \(String(describing: shared))")
        return agreed ? shared : nil
    }

    /// A node started (or restarted) after Redis lost `hot`'s generation: it misses the
    /// invalidated answer, every node adopts the epoch it created, and all of them miss; then
    /// `body` runs with the new node.
    static func withNodeAfterLoss(
        _ redis: RedisServerProcess,
        _ client: RedisClient,
        _ nodes: [APIClient],
        invalidated: UInt64,
        _ body: @escaping @Sendable (APIClient) async throws -> Void = { _ in }
    ) async throws {
        try await withTestServer(configure: RedisTierIntegrationTests.configure(redis)) { nodeC in
            try await expectMiss(get, on: [nodeC])
            let agreed = await awaitAgreement(nodes + [nodeC], client)
            #expect(agreed != invalidated)
            try await expectMiss(get, on: nodes + [nodeC])
            try await body(nodeC)
        }
    }

    @Test("DEL of the generation key, then a node restarted or started: the invalidated answer misses on every node")
    func deletedGenerationKey() async throws {
        try await Self.withTwoNodes { redis, client, nodeA, nodeB in
            let invalidated = try await Self.setAndInvalidate(nodeA, nodeB)
            #expect(try await client.execute(["DEL", .string(Self.generationKey)]).integer == 1)
            try await Self.expectMiss(Self.get, on: [nodeA, nodeB])
            try await Self.withNodeAfterLoss(redis, client, [nodeA, nodeB], invalidated: invalidated) { nodeC async throws in
                // Still one cache: a set on C is found on A.
                #expect(try await nodeC.set(Self.setLater).status == .ok)
                #expect(try await nodeA.get(Self.getLater).xCache == "HIT-redis")
            }
        }
    }

    @Test("FLUSHALL, a set, then an invalidation through a node started afterwards: what was set before it misses on every node")
    func flushAll() async throws {
        try await Self.withTwoNodes { redis, client, nodeA, nodeB in
            _ = try await Self.setAndInvalidate(nodeA, nodeB)
            _ = try await client.execute(["FLUSHALL"])
            try await Self.expectMiss(Self.get, on: [nodeA, nodeB])
            // Written after the flush, before the next invalidation.
            #expect(try await nodeA.set(Self.setLater).status == .ok)
            try await withTestServer(configure: RedisTierIntegrationTests.configure(redis)) { nodeC in
                let answer = try await nodeC.invalidate(#"{"namespace":"hot"}"#).object()
                #expect(jsonBool(answer["success"]) == true)
                await Self.awaitMiss(Self.getLater, on: [nodeA, nodeB, nodeC])
                try await Self.expectMiss(Self.get, on: [nodeA, nodeB, nodeC])
            }
        }
    }

    @Test("Redis restarted without persistence while two nodes run: both adopt one new epoch and their edge entries miss")
    func restartWithoutPersistence() async throws {
        try await Self.withTwoNodes { redis, client, nodeA, nodeB in
            let invalidated = try await Self.setAndInvalidate(nodeA, nodeB)
            #expect(try await nodeA.set(Self.setLater).status == .ok)
            #expect(try await nodeB.get(Self.getLater).xCache == "HIT-redis")
            #expect(try await nodeB.get(Self.getLater).xCache == "HIT-edge")

            try await redis.restart()
            let agreed = await Self.awaitAgreement([nodeA, nodeB], client)
            #expect(agreed != invalidated)
            try await Self.expectMiss(Self.get, on: [nodeA, nodeB])
            try await Self.expectMiss(Self.getLater, on: [nodeA, nodeB])

            // Shared again, and invalidation still reaches the other node.
            #expect(try await nodeA.set(Self.setLater).status == .ok)
            #expect(try await nodeB.get(Self.getLater).xCache == "HIT-redis")
            #expect(try await nodeB.invalidate(#"{"namespace":"hot"}"#).status == .ok)
            await Self.awaitMiss(Self.getLater, on: [nodeA, nodeB])
        }
    }

    @Test("maxmemory 3mb + allkeys-lfu evicts the generation key under a loop of sets: the invalidated answer misses on every node")
    func evictedGenerationKey() async throws {
        try await Self.withTwoNodes(prepare: { client in
            _ = try await client.execute(["CONFIG", "SET", "maxmemory", "3mb"])
            _ = try await client.execute(["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"])
        }) { redis, client, nodeA, nodeB in
            let invalidated = try await Self.setAndInvalidate(nodeA, nodeB)
            // Nodes read a generation once and then answer from memory, so in production its
            // LFU counter decays to 0 within minutes; FREQ 0 stands for those minutes.
            let dump = try #require(try await client.execute(["DUMP", .string(Self.generationKey)]).bytes)
            _ = try await client.execute(["RESTORE", .string(Self.generationKey), 0, .bytes(dump), "REPLACE", "FREQ", 0])

            var sets = 0
            while sets < 400, try await client.execute(["EXISTS", .string(Self.generationKey)]).integer == 1 {
                // 64 KiB of hex that LZ4 cannot shrink much, in another namespace.
                let filler = Hex.encode((0..<32_768).map { _ in UInt8.random(in: 0...255) })
                let body = #"{"provider":"p","model":"m","messages":[{"role":"user","content":"fill \#(sets)"}],"namespace":"fill","response":"\#(filler)"}"#
                #expect(try await nodeA.set(body).status == .ok)
                sets += 1
            }
            let left = try await client.execute(["EXISTS", .string(Self.generationKey)]).integer
            #expect(left == 0, "the generation key survived \(sets) sets")
            try await Self.expectMiss(Self.get, on: [nodeA, nodeB])
            try await Self.withNodeAfterLoss(redis, client, [nodeA, nodeB], invalidated: invalidated)
        }
    }
}
