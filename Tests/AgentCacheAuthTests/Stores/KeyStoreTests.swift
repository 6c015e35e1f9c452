import AgentCacheAuth
import AgentCacheCore
import AgentCacheRedis
import AgentCacheTestSupport
import Foundation
import Testing

/// Both stores behave the same: records, usage and the namespace limit persist.
@Suite("Key stores", .serialized)
struct KeyStoreTests {
    static func record(_ digest: String = "d1") throws -> KeyRecord {
        KeyRecord(
            digest: digest, account: digest, integration: "acme", namespace: "acme_p", environment: "production",
            userID: "u", projectID: "p", tier: .free, allowedIPs: try IPAllowList([]), createdAtMillis: 1
        )
    }

    /// The behaviour every store shares; `reopen` gives a new store over the same data.
    static func conformance(_ store: any KeyStore, reopen: () throws -> any KeyStore) async throws {
        try await store.save([try record()])
        #expect(try await store.record(digest: "d1") == (try record()))
        #expect(try await store.record(digest: "missing") == nil)
        #expect(try await store.addUsage(account: "d1", month: "202311", delta: 5) == 5)
        #expect(try await store.addUsage(account: "d1", month: "202311", delta: 2) == 7)
        #expect(try await store.addNamespace(account: "d1", namespace: "one", limit: 1))
        #expect(try await store.addNamespace(account: "d1", namespace: "one", limit: 1))
        #expect(try await !store.addNamespace(account: "d1", namespace: "two", limit: 1))
        try await store.persistUsage()
        let reopened = try reopen()
        #expect(try await reopened.record(digest: "d1") == (try record()))
        let usage = try await reopened.usage(account: "d1", month: "202311")
        #expect(usage.requests == 7)
        #expect(usage.namespaces == ["one"])
        #expect(try await reopened.usage(account: "d1", month: "202312").requests == 0)
    }

    @Test("the file store persists records, usage and namespaces across reopen, leaving no temp file")
    func fileStore() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ac-store-\(UUID().uuidString)/nested").path
        let store = try FileKeyStore(directory: directory)
        try await Self.conformance(store) { try FileKeyStore(directory: directory) }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(files == ["keys.json"])
    }

    @Test("the file store refuses a damaged file")
    func damagedFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ac-store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(#"{"version":1,"keys":{"x":{"digest":"x"}}}"#.utf8).write(to: URL(fileURLWithPath: directory + "/keys.json"))
        #expect(throws: CacheError.self) { try FileKeyStore(directory: directory) }
    }

    @Test("the Redis store persists records, usage and namespaces for any client of the same Redis")
    func redisStore() async throws {
        try await withRedisServer { redis in
            let first = RedisClient(url: redis.url)
            let second = RedisClient(url: redis.url)
            try await Self.conformance(RedisKeyStore(client: first)) { RedisKeyStore(client: second) }
            await first.shutdown()
            await second.shutdown()
        }
    }

    @Test("a fast key's allowance is reserved in batches: acquire hands them out in process, at hand, and nodes together stay within the bucket")
    func redisRateLimiterBatches() async throws {
        try await withRedisServer { redis in
            let nodeA = RedisRateLimiter(client: RedisClient(url: redis.url))
            let nodeB = RedisRateLimiter(client: RedisClient(url: redis.url))
            let rate = 1_000
            let batch = RedisRateLimiter.batch(for: rate)
            #expect(batch == 50)
            #expect(RedisRateLimiter.batch(for: 10) == 1)
            #expect(nodeA.acquire(key: "fast", ratePerSecond: rate).atHand == nil)
            let start = ContinuousClock.now
            #expect(try await nodeA.acquire(key: "fast", ratePerSecond: rate).get().allowed)
            var local = 0
            while let decision = nodeA.acquire(key: "fast", ratePerSecond: rate).atHand, decision.allowed { local += 1 }
            // The rest of the batch, unless the reservation ran out on a very slow machine.
            #expect(local <= batch - 1)

            // Both nodes draining the bucket as fast as they can never admit more than it
            // holds plus what it refills meanwhile.
            var admitted = 1 + local
            for index in 0..<3_000 {
                let node = index.isMultiple(of: 2) ? nodeA : nodeB
                let decision: RateDecision
                if let now = node.acquire(key: "fast", ratePerSecond: rate).atHand {
                    decision = now
                } else {
                    decision = try await node.acquire(key: "fast", ratePerSecond: rate).get()
                }
                if decision.allowed { admitted += 1 }
            }
            let took = ContinuousClock.now - start
            let seconds = Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
            #expect(Double(admitted) <= Double(rate) + Double(rate) * seconds + 1, "\(admitted) in \(took)")
            #expect(admitted >= rate / 2, "\(admitted) in \(took)")
            await nodeA.redis.client.shutdown()
            await nodeB.redis.client.shutdown()
        }
    }

    @Test("the Redis rate limiter shares one bucket between nodes and falls back to per-node limits when Redis is gone")
    func redisRateLimiter() async throws {
        try await withRedisServer { redis in
            let nodeA = RedisRateLimiter(client: RedisClient(url: redis.url))
            let nodeB = RedisRateLimiter(client: RedisClient(url: redis.url))
            var admitted = 0
            let start = ContinuousClock.now
            for index in 0..<20 {
                let limiter = index.isMultiple(of: 2) ? nodeA : nodeB
                if try await limiter.acquire(key: "acct", ratePerSecond: 10).get().allowed { admitted += 1 }
            }
            let took = ContinuousClock.now - start
            let seconds = Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
            // One shared bucket of 10, plus what it refills (10/s) while the loop runs: two
            // separate buckets would admit 20 on a fast machine.
            #expect(admitted >= 10 && Double(admitted) <= 10 + 10 * seconds + 1, "\(admitted) in \(took)")
            // Drained, the shared bucket refuses with a Retry-After (a slow machine may have
            // refilled a few first).
            var refused: RateDecision?
            for _ in 0..<50 where refused == nil {
                let decision = try await nodeA.acquire(key: "acct", ratePerSecond: 10).get()
                if !decision.allowed { refused = decision }
            }
            #expect((refused?.retryAfterSeconds ?? 0) >= 1)
            await redis.stop()
            let fallback = try await nodeA.acquire(key: "fresh", ratePerSecond: 10).get()
            #expect(fallback.allowed)
            await nodeA.redis.client.shutdown()
            await nodeB.redis.client.shutdown()
        }
    }
}
