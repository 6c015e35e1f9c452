import AgentCacheTestSupport
import AgentCacheCore
import AgentCacheRedis
import NIOConcurrencyHelpers
import Foundation
import Testing

@Suite("RedisTier: entries in Redis with PX TTL")
struct RedisTierTests {
    let namespace = CacheNamespace(tenant: "acme", name: "chat")
    let key = CacheKey(high: 0x0123_4567_89ab_cdef, low: 0xfedc_ba98_7654_3210)

    func entry(_ text: String, ttlMillis: Int64, clock: any CacheClock = SystemClock()) -> CacheEntry {
        let now = clock.nowMillis()
        return CacheEntry(value: StoredValue(encoding: Array(text.utf8)), createdAtMillis: now, expiresAtMillis: now + ttlMillis)
    }

    @Test("set then get returns the same entry under ac:<tenant>/<ns>:<gen>:<hex>")
    func roundTrip() async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            let tier = RedisTier(client: client)
            let stored = entry(#"{"answer":"forty-two"}"#, ttlMillis: 60_000)
            await tier.set(key, entry: stored, namespace: namespace, generation: 7)
            #expect(await tier.get(key, namespace: namespace, generation: 7) == stored)
            let redisKey = "ac:acme/chat:7:0123456789abcdeffedcba9876543210"
            #expect(RedisKeys.entry(key, namespace: namespace, generation: 7) == redisKey)
            #expect(try await client.execute(["EXISTS", redisKey]) == .integer(1))
            let ttl = try await client.execute(["PTTL", redisKey]).integer ?? -1
            // PX carries the entry's remaining lifetime (60 s), not a default; the lower bound
            // leaves room for a slow machine between the SET and this PTTL.
            #expect(ttl > 50_000 && ttl <= 60_000)
            #expect(tier.statistics.hits == 1 && tier.statistics.sets == 1)
            await client.shutdown()
        }
    }

    @Test("an LZ4-compressed entry round-trips and decodes to its raw bytes")
    func compressedRoundTrip() async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            let tier = RedisTier(client: client)
            let raw = Array(String(repeating: "the same sentence again. ", count: 200).utf8)
            let now = SystemClock().nowMillis()
            let stored = CacheEntry(value: StoredValue(encoding: raw), createdAtMillis: now, expiresAtMillis: now + 10_000)
            #expect(stored.value.encoding == .lz4)
            await tier.set(key, entry: stored, namespace: namespace, generation: 0)
            let loaded = try #require(await tier.get(key, namespace: namespace, generation: 0))
            #expect(loaded == stored)
            #expect(try loaded.value.decoded() == raw)
            await client.shutdown()
        }
    }

    @Test("another generation or namespace misses the entry")
    func generationIsPartOfTheKey() async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            let tier = RedisTier(client: client)
            await tier.set(key, entry: entry("v", ttlMillis: 10_000), namespace: namespace, generation: 1)
            #expect(await tier.get(key, namespace: namespace, generation: 2) == nil)
            #expect(await tier.get(key, namespace: CacheNamespace(tenant: "other", name: "chat"), generation: 1) == nil)
            #expect(await tier.get(key, namespace: namespace, generation: 1) != nil)
            await client.shutdown()
        }
    }

    @Test("the entry is gone from Redis once its 200 ms TTL passes")
    func expiresWithPX() async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            let tier = RedisTier(client: client)
            _ = try await client.execute(["PING"])  // connection open before the clock starts
            let stored = entry("short", ttlMillis: 200)
            let redisKey = RedisKeys.entry(key, namespace: namespace, generation: 0)
            await tier.set(key, entry: stored, namespace: namespace, generation: 0)
            let found = await tier.get(key, namespace: namespace, generation: 0)
            let ttl = try await client.execute(["PTTL", redisKey]).integer ?? -1
            // On a loaded machine 200 ms may already be over; only then may these be absent.
            if SystemClock().nowMillis() < stored.expiresAtMillis - 20 {
                #expect(found == stored)
                #expect(ttl > 0 && ttl <= 200, "PTTL \(ttl)")
            } else {
                #expect(ttl <= 200)
            }
            // Our header's expiry (this clock) may pass a few ms before Redis's PX does.
            let gone = await eventually(within: .seconds(10)) {
                let missed = await tier.get(key, namespace: namespace, generation: 0) == nil
                let exists = try? await client.execute([.string("EXISTS"), .string(redisKey)])
                return missed && exists == .integer(0)
            }
            #expect(gone)
            await client.shutdown()
        }
    }

    @Test("an already-expired entry is not written")
    func expiredEntryIsSkipped() async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            let tier = RedisTier(client: client)
            await tier.set(key, entry: entry("old", ttlMillis: -1), namespace: namespace, generation: 0)
            let size = try await client.execute(["DBSIZE"])
            #expect(size == .integer(0))
            #expect(tier.statistics.expiredSkips == 1)
            await client.shutdown()
        }
    }

    @Test("a value whose header says it expired is a miss even if Redis still holds it")
    func staleHeaderIsAMiss() async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            let clock = ManualClock(millis: SystemClock().nowMillis())
            let tier = RedisTier(client: client, clock: clock)
            await tier.set(key, entry: entry("v", ttlMillis: 1_000, clock: clock), namespace: namespace, generation: 0)
            clock.advance(by: 1_000)
            #expect(await tier.get(key, namespace: namespace, generation: 0) == nil)
            await client.shutdown()
        }
    }

    @Test("remove deletes the key")
    func removeDeletes() async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            let tier = RedisTier(client: client)
            await tier.set(key, entry: entry("v", ttlMillis: 10_000), namespace: namespace, generation: 0)
            try await tier.remove(key, namespace: namespace, generation: 0)
            #expect(await tier.get(key, namespace: namespace, generation: 0) == nil)
            // Only the deletion log is left.
            #expect(try await client.execute(["KEYS", "*"]) == .array([.string(Array("ac:deletes".utf8))]))
            await client.shutdown()
        }
    }

    @Test("a value copied under another entry's name, or written without its key, is a miss (the entry keeps its key, SPEC §2)")
    func valueOfAnotherKeyMisses() async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            let tier = RedisTier(client: client)
            let other = CacheKey(high: 7, low: 7)
            await tier.set(other, entry: entry("theirs", ttlMillis: 10_000), namespace: namespace, generation: 0)
            #expect(await tier.get(other, namespace: namespace, generation: 0) != nil)
            let stored = try await client.execute(["GET", .string(RedisKeys.entry(other, namespace: namespace, generation: 0))])
            _ = try await client.execute(["SET", .string(RedisKeys.entry(key, namespace: namespace, generation: 0)), .bytes(stored.bytes ?? [])])
            #expect(await tier.get(key, namespace: namespace, generation: 0) == nil)
            let keyless = EntryCodec.encode(entry("no key", ttlMillis: 10_000))
            _ = try await client.execute(["SET", .string(RedisKeys.entry(key, namespace: namespace, generation: 0)), .bytes(keyless)])
            #expect(await tier.get(key, namespace: namespace, generation: 0) == nil)
            #expect(tier.statistics.corrupt == 2)
            await client.shutdown()
        }
    }

    @Test("a deletion reaches nodes that were not listening: read back from the log after the cursor; a node away longer than the log keeps drops its whole edge")
    func deletionCatchUp() async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            let writer = RedisTier(client: client)
            let reader = RedisTier(client: client)
            let removed = NIOLockedValueBox<[CacheKey]>([])
            let wiped = NIOLockedValueBox(0)
            func catchUp() async -> Bool {
                await reader.catchUpDeletions(remove: { key in removed.withLockedValue { $0.append(key) } }, removeAll: { wiped.withLockedValue { $0 += 1 } })
            }
            // The first look only notes where the log ends: what came before is not this node's.
            try await writer.remove(CacheKey(high: 1, low: 1), namespace: namespace, generation: 7)
            #expect(await catchUp())
            #expect(removed.withLockedValue { $0 }.isEmpty)
            // Deleted while "not listening": applied on the next catch-up, once.
            try await writer.remove(key, namespace: namespace, generation: 7)
            #expect(await catchUp())
            #expect(removed.withLockedValue { $0 } == [key])
            #expect(await catchUp())
            #expect(removed.withLockedValue { $0 } == [key])
            #expect(wiped.withLockedValue { $0 } == 0)
            #expect(wiped.withLockedValue { $0 } == 0)
            // A node whose last look is older than the log keeps (an hour): what it missed is
            // unknown, so its whole edge goes. (Its cursor is set on a log whose newest entry
            // looks two hours old.)
            _ = try await client.execute(["DEL", "ac:deletes"])
            let oldMillis = UInt64(Date().timeIntervalSince1970 * 1000) - 7_200_000
            _ = try await client.execute(["XADD", "ac:deletes", .string("\(oldMillis)-1"), "m", "x"])
            let away = RedisTier(client: client)
            #expect(await away.catchUpDeletions(remove: { _ in }, removeAll: {}))
            let awayWiped = NIOLockedValueBox(0)
            #expect(await away.catchUpDeletions(remove: { _ in }, removeAll: { awayWiped.withLockedValue { $0 += 1 } }))
            #expect(awayWiped.withLockedValue { $0 } == 1)
            await client.shutdown()
        }
    }

    @Test(
        "a corrupt or foreign value under our key is a counted miss, not a crash",
        arguments: [
            Array("plain text someone else wrote".utf8),
            [UInt8](),
            [UInt8(ascii: "A"), UInt8(ascii: "C"), 1, 0],
            [UInt8(ascii: "A"), UInt8(ascii: "C"), 9, 0] + [UInt8](repeating: 0, count: 40),
            // Valid-looking header declaring a 4 GiB raw length.
            [UInt8(ascii: "A"), UInt8(ascii: "C"), 1, 1, 0xFF, 0xFF, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 16) + [1, 2, 3],
            // LZ4 flag with garbage payload.
            [UInt8(ascii: "A"), UInt8(ascii: "C"), 1, 1, 100, 0, 0, 0] + [UInt8](repeating: 0x7F, count: 16) + [0xF0, 0xFF, 0xFF],
        ]
    )
    func corruptValueIsAMiss(value: [UInt8]) async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            let tier = RedisTier(client: client, maxRawLength: 1 << 20)
            let redisKey = RedisKeys.entry(key, namespace: namespace, generation: 0)
            _ = try await client.execute([.string("SET"), .string(redisKey), .bytes(value)])
            let got = await tier.get(key, namespace: namespace, generation: 0)
            if let got {
                // Only the garbage-LZ4 case decodes a header; the engine's decompression must then fail.
                #expect(got.value.encoding == .lz4)
                #expect(throws: CodecError.self) { _ = try got.value.decoded(maxRawLength: 1 << 20) }
            } else {
                #expect(tier.statistics.corrupt == 1)
                #expect(tier.statistics.misses == 1)
            }
            await client.shutdown()
        }
    }

    @Test("a key of another Redis type (a list) is a counted miss")
    func wrongTypeIsAMiss() async throws {
        try await withRedisServer { server async throws in
            let client = makeClient(server)
            let tier = RedisTier(client: client)
            let redisKey = RedisKeys.entry(key, namespace: namespace, generation: 0)
            _ = try await client.execute([.string("RPUSH"), .string(redisKey), "x"])
            #expect(await tier.get(key, namespace: namespace, generation: 0) == nil)
            #expect(tier.statistics.corrupt == 1)
            #expect(client.health.isOK)
            await client.shutdown()
        }
    }

    @Test("with Redis gone, get is a miss, set returns quietly, remove throws (not acknowledged)")
    func failOpen() async throws {
        let server = try await RedisServerProcess.start()
        let client = makeClient(server)
        let tier = RedisTier(client: client)
        await server.stop()
        #expect(await tier.get(key, namespace: namespace, generation: 0) == nil)
        await tier.set(key, entry: entry("v", ttlMillis: 10_000), namespace: namespace, generation: 0)
        // A deletion other nodes cannot be told of is not acknowledged.
        await #expect(throws: CacheError.self) { try await tier.remove(key, namespace: namespace, generation: 0) }
        #expect(tier.statistics.errors == 3)
        #expect(!tier.health.isOK)
        await client.shutdown()
    }
}
