import AgentCacheAuth
import AgentCacheCore
import AgentCacheRedis
import AgentCacheTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Both stores behave the same: records, usage and the namespace limit persist.
@Suite("Key stores", .serialized)
struct KeyStoreTests {
    static func record(_ digest: String = "d1") throws -> KeyRecord {
        KeyRecord(
            digest: digest, account: digest, integration: "acme", namespace: "acme_p", environment: "production",
            userID: "u", projectID: "p", tier: .free, allowedIPs: try IPAllowList([]), createdAtMillis: 1
        )
    }

    /// A fresh directory path under the temporary directory (not created).
    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ac-store-\(UUID().uuidString)").path
    }

    /// Runs `body` with two clients of one fresh redis-server (two nodes), shut down afterwards.
    static func withTwoRedisClients(_ body: (RedisClient, RedisClient) async throws -> Void) async throws {
        try await withRedisServer { redis in
            let first = RedisClient(url: redis.url)
            let second = RedisClient(url: redis.url)
            try await body(first, second)
            await first.shutdown()
            await second.shutdown()
        }
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
        // Tenants: the first owner keeps a name; the same owner may claim it again.
        let c1 = TenantOwner(userID: "c1", integration: "shop", projectID: "eu_web")
        let c2 = TenantOwner(userID: "c2", integration: "shop_eu", projectID: "web")
        #expect(try await store.claimTenant("shop_eu_web", for: c1))
        #expect(try await !store.claimTenant("shop_eu_web", for: c2))
        #expect(try await store.claimTenant("shop_eu_web", for: c1))
        // A rotation's compare-and-set on the successor.
        var rotated = try record()
        rotated.successor = "d2"
        #expect(try await store.save(rotated, ifSuccessorIs: nil))
        #expect(try await !store.save(rotated, ifSuccessorIs: nil))
        var again = rotated
        again.successor = "d3"
        #expect(try await !store.save(again, ifSuccessorIs: "d9"))
        #expect(try await store.record(digest: "d1")?.successor == "d2")
        #expect(try await store.save(again, ifSuccessorIs: "d2"))
        try await store.persistUsage()
        let reopened = try reopen()
        #expect(try await reopened.record(digest: "d1") == again)
        let usage = try await reopened.usage(account: "d1", month: "202311")
        #expect(usage.requests == 7)
        #expect(usage.namespaces == ["one"])
        #expect(try await reopened.usage(account: "d1", month: "202312").requests == 0)
        #expect(try await !reopened.claimTenant("shop_eu_web", for: c2))
        #expect(try await reopened.claimTenant("shop_eu_web", for: c1))
    }

    /// Keys stored before tenants were claimed: the oldest key's owner gets the tenant, another
    /// owner is refused, and the keys that shared it keep their records.
    static func recordedTenantsClaimed(_ store: any KeyStore, reopen: () throws -> any KeyStore) async throws {
        var older = try record("old")
        older.createdAtMillis = 1
        older.namespace = "shop_eu_web"
        older.userID = "c1"
        older.integration = "shop"
        older.projectID = "eu_web"
        var newer = older
        newer.digest = "new"
        newer.account = "new"
        newer.createdAtMillis = 2
        newer.userID = "c3"
        newer.projectID = "EU.web"
        try await store.save([newer, older])
        let reopened = try reopen()
        #expect(try await !reopened.claimTenant("shop_eu_web", for: TenantOwner(newer)))
        #expect(try await !reopened.claimTenant("shop_eu_web", for: TenantOwner(userID: "c2", integration: "shop_eu", projectID: "web")))
        #expect(try await reopened.claimTenant("shop_eu_web", for: TenantOwner(older)))
        #expect(try await reopened.record(digest: "new") == newer)
    }

    @Test("the file store persists records, usage and namespaces across reopen, leaving no temp file")
    func fileStore() async throws {
        let directory = Self.temporaryDirectory() + "/nested"
        let store = try FileKeyStore(directory: directory)
        try await Self.conformance(store) {
            store.unlock()  // one store per directory: the reopened one takes the lock
            return try FileKeyStore(directory: directory)
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(files.sorted() == ["agentcache.lock", "keys.json"])
    }

    @Test("the file store locks its directory: a second store on it fails naming the directory and the holder's pid, until the first releases it")
    func fileStoreLock() async throws {
        let directory = Self.temporaryDirectory()
        let first = try FileKeyStore(directory: directory)
        try await first.save([try Self.record()])
        // flock belongs to an open file description: a second open in this process conflicts too.
        do {
            _ = try FileKeyStore(directory: directory)
            Issue.record("a second store opened a locked directory")
        } catch {
            #expect(error.message == "data directory \(directory) is in use by another agentcache process (pid \(getpid()), see \(directory)/agentcache.lock); stop it or give this one another --data-dir")
        }
        first.unlock()
        let second = try FileKeyStore(directory: directory)
        #expect(try await second.record(digest: "d1") == (try Self.record()))
        await #expect(throws: CacheError.self) { try await first.save([try Self.record("d2")]) }
    }

    @Test("the file store removes a keys.json.tmp a killed writer left, and keeps keys.json")
    func fileStoreRemovesTempFile() async throws {
        let directory = Self.temporaryDirectory()
        let store = try FileKeyStore(directory: directory)
        try await store.save([try Self.record()])
        store.unlock()
        try Data("{half a wri".utf8).write(to: URL(fileURLWithPath: directory + "/keys.json.tmp"))
        let reopened = try FileKeyStore(directory: directory)
        #expect(try await reopened.record(digest: "d1") == (try Self.record()))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["agentcache.lock", "keys.json"])
    }

    @Test("the file store gives the tenants of keys stored before owners were recorded to their oldest key's owner")
    func fileStoreRecordedTenants() async throws {
        let directory = Self.temporaryDirectory()
        let store = try FileKeyStore(directory: directory)
        try await Self.recordedTenantsClaimed(store) {
            // A file as written before tenants were claimed: no "tenants" member.
            let path = directory + "/keys.json"
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let legacy = text.replacingOccurrences(of: #","tenants":{}"#, with: "")
            #expect(legacy != text)
            try Data(legacy.utf8).write(to: URL(fileURLWithPath: path))
            store.unlock()
            return try FileKeyStore(directory: directory)
        }
    }

    @Test("the Redis store gives the tenants of keys stored before owners were recorded to their oldest key's owner")
    func redisStoreRecordedTenants() async throws {
        try await Self.withTwoRedisClients { first, second in
            try await Self.recordedTenantsClaimed(RedisKeyStore(client: first)) { RedisKeyStore(client: second) }
            #expect(try await first.execute(["GET", "ac:tenants:indexed"]).text == "1")
        }
    }

    @Test("the file store refuses a damaged file")
    func damagedFile() throws {
        let directory = Self.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(#"{"version":1,"keys":{"x":{"digest":"x"}}}"#.utf8).write(to: URL(fileURLWithPath: directory + "/keys.json"))
        #expect(throws: CacheError.self) { try FileKeyStore(directory: directory) }
    }

    @Test("the Redis store persists records, usage and namespaces for any client of the same Redis")
    func redisStore() async throws {
        try await Self.withTwoRedisClients { first, second in
            try await Self.conformance(RedisKeyStore(client: first)) { RedisKeyStore(client: second) }
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
            // Handed out in process (the batch, and what the refill ahead reserved meanwhile).
            #expect(local >= 1)

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

    @Test("a batch half used is refilled ahead in the background, so a steady client never waits; while Redis is hung every acquire is at hand")
    func redisRateLimiterRefillsAhead() async throws {
        try await withRedisServer { redis in
            let node = RedisRateLimiter(client: RedisClient(configuration: RedisClientConfiguration(url: redis.url, commandTimeout: .milliseconds(200))))
            let rate = 2_000
            #expect(RedisRateLimiter.batch(for: rate) == 100)
            #expect(try await node.acquire(key: "steady", ratePerSecond: rate).get().allowed)
            // More than one batch handed out at hand: the refill started at half landed before
            // the first batch ran out (or soon after; the loop waits for it, never for Redis).
            var atHand = 0
            let deadline = ContinuousClock.now + .seconds(10)
            while atHand < 250, ContinuousClock.now < deadline {
                if let decision = node.acquire(key: "steady", ratePerSecond: rate).atHand {
                    #expect(decision.allowed)
                    atHand += 1
                } else {
                    try await Task.sleep(for: .milliseconds(2))
                }
            }
            #expect(atHand >= 250)

            // Hung Redis (SIGSTOP accepts connections, answers nothing): the first reservation
            // waits for its command timeout and fails; from then on acquires are decided in
            // process at once, while one background run per key probes Redis.
            await redis.freeze()
            defer { redis.thaw() }
            #expect(try await node.acquire(key: "first", ratePerSecond: 10).get().allowed)
            for index in 0..<50 {
                #expect(node.acquire(key: "other-\(index)", ratePerSecond: 10).atHand?.allowed == true)
            }
            redis.thaw()
            await node.redis.client.shutdown()
        }
    }

    @Test("while Redis is down each request is charged once to the per-node limit: a burst of the rate passes whole")
    func redisRateLimiterChargesOnceWhileDown() async throws {
        try await withRedisServer { redis in
            let node = RedisRateLimiter(client: RedisClient(url: redis.url))
            await redis.stop()
            // The first request finds Redis gone; from then on requests are decided at hand and
            // a background run probes Redis for each (which must not charge them again).
            #expect(try await node.acquire(key: "burst", ratePerSecond: 10).get().allowed)
            for index in 1..<10 {
                try await Task.sleep(for: .milliseconds(5))
                let decision = try #require(node.acquire(key: "burst", ratePerSecond: 10).atHand)
                #expect(decision.allowed, "request \(index + 1) of a burst of 10 at 10/s")
            }
            await node.redis.client.shutdown()
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
