import AgentCacheAuth
import AgentCacheCore
import AgentCacheRedis
import AgentCacheTestSupport
import Testing

/// Key records in use are re-read ahead, in the background, and a failing store costs no
/// request a wait: the record cache of `KeyAuthority` against a real redis-server.
@Suite("Key authority with a shared store: refresh ahead, failing store", .serialized)
struct KeyAuthorityRefreshTests {
    @Test("a record in use is re-read in the background from 4 s (no request waits); a revocation elsewhere lands within 5 s; while the store hangs the cached record is served at hand")
    func refreshAhead() async throws {
        try await withRedisServer { redis in
            let clock = ManualClock()
            let client = RedisClient(configuration: RedisClientConfiguration(url: redis.url, commandTimeout: .milliseconds(200)))
            let otherNode = RedisClient(url: redis.url)
            let authority = KeyAuthority(store: RedisKeyStore(client: client), limiter: GCRALimiter(), clock: clock)
            let admin = KeyAuthority(store: RedisKeyStore(client: otherNode), limiter: GCRALimiter(), clock: clock)
            let request = try ProvisionRequest.generic(Array(#"{"user_id":"u","integration":"shop","project_id":"p","tier":"pro"}"#.utf8))
            let (key, _) = try await admin.provision(request)
            // First use: one store read, then at hand.
            #expect(try await authority.authenticate(key.text).get().namespace == "shop_p")
            let reads = authority.storeLookups
            #expect(authority.authenticate(key.text).atHand != nil)

            // 4.5 s on: still at hand, and one background re-read starts.
            clock.advance(by: 4_500)
            #expect(authority.authenticate(key.text).atHand != nil)
            #expect(await eventually(within: .seconds(10)) { authority.storeLookups == reads + 1 })

            // Revoked on the other node: past 5 s from that re-read, this node refuses the key.
            _ = try await admin.revoke(key.text)
            clock.advance(by: 5_100)
            let refused = await authority.authenticate(key.text).result
            guard case .failure(let error) = refused else {
                Issue.record("a key revoked on another node was still accepted after 5 s")
                return
            }
            #expect(error.code == .invalidAPIKey)

            // A hung store: the first read past 5 s waits its timeout and serves the cached
            // record; after that, every request is at hand (no timeout per request).
            let (live, _) = try await admin.provision(ProvisionRequest.generic(Array(#"{"user_id":"v","integration":"shop","project_id":"q"}"#.utf8)))
            #expect(try await authority.authenticate(live.text).get().namespace == "shop_q")
            await redis.freeze()
            defer { redis.thaw() }
            clock.advance(by: 6_000)
            #expect(try await authority.authenticate(live.text).get().namespace == "shop_q")
            for _ in 0..<20 {
                clock.advance(by: 1_000)
                #expect(authority.authenticate(live.text).atHand?.namespace == "shop_q")
            }
            redis.thaw()
            await client.shutdown()
            await otherNode.shutdown()
        }
    }

    @Test("while Redis is unreachable a known key's new namespace is admitted on an unlimited plan, and within the limit on a limited one")
    func namespacesWhileStoreIsDown() async throws {
        try await withRedisServer { redis in
            let client = RedisClient(configuration: RedisClientConfiguration(url: redis.url, commandTimeout: .milliseconds(200)))
            let authority = KeyAuthority(store: RedisKeyStore(client: client), limiter: GCRALimiter())
            let enterprise = try await authority.provision(ProvisionRequest.generic(Array(#"{"user_id":"e","integration":"shop","project_id":"ent","tier":"enterprise"}"#.utf8))).record
            let free = try await authority.provision(ProvisionRequest.generic(Array(#"{"user_id":"f","integration":"shop","project_id":"free","tier":"free"}"#.utf8))).record
            for record in [enterprise, free] {
                _ = try await authority.admit(record, scope: .cacheRead, clientAddress: nil).get()
            }
            try await authority.admitNamespace("first", for: free).get()

            await redis.stop()
            // SPEC §3: Redis down never fails a request. Nothing to check without a limit.
            try await authority.admitNamespace("brand-new", for: enterprise).get()
            try await authority.admitNamespace("first", for: free).get()
            // The free plan's one namespace is used: still refused, decided on this node.
            let refused = await authority.admitNamespace("second", for: free).result
            guard case .failure(let error) = refused else {
                Issue.record("a second namespace passed the free plan's limit of 1 while Redis was down")
                return
            }
            #expect(error.code == .insufficientPermissions)
            await client.shutdown()
        }
    }
}
