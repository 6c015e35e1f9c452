import Testing
@testable import AgentCacheCore

/// Helpers shared by the edge-tier tests.
enum EdgeFixtures {
    static func key(_ index: Int) -> CacheKey {
        KeyHasher.hash(Array("key-\(index)".utf8))
    }

    static func entry(size: Int, now: Int64, ttlMillis: Int64 = 60_000) -> CacheEntry {
        CacheEntry(
            value: StoredValue(bytes: [UInt8](repeating: 7, count: size), encoding: .raw, rawLength: size),
            createdAtMillis: now,
            expiresAtMillis: now + ttlMillis
        )
    }
}

@Suite("Edge tier")
struct EdgeCacheTests {
    let now: Int64 = 1_700_000_000_000

    @Test("a stored entry is returned until it expires and never after")
    func ttlIsHonoured() {
        let edge = EdgeCache()
        let key = EdgeFixtures.key(1)
        edge.set(key, entry: EdgeFixtures.entry(size: 10, now: now, ttlMillis: 1000), namespace: nil, now: now)
        #expect(edge.get(key, now: now + 999) != nil)
        #expect(edge.get(key, now: now + 1000) == nil)
        // An expired entry found by a lookup is reclaimed on the spot.
        #expect(edge.statistics().entries == 0)
        #expect(edge.statistics().expirations == 1)
    }

    @Test("hits and misses are counted; peek counts neither")
    func countersTrackLookups() {
        let edge = EdgeCache()
        let key = EdgeFixtures.key(1)
        _ = edge.get(key, now: now)
        edge.set(key, entry: EdgeFixtures.entry(size: 10, now: now), namespace: nil, now: now)
        _ = edge.get(key, now: now)
        _ = edge.peek(key, now: now)
        let statistics = edge.statistics()
        #expect(statistics.hits == 1)
        #expect(statistics.misses == 1)
        #expect(statistics.entries == 1)
    }

    @Test("the byte budget is never exceeded and an entry read since it was stored outlives older unread ones")
    func evictionWithinBudgetSparesReadEntries() {
        // One stripe so the order is global; room for exactly three 1 KiB entries.
        // Holds for LRU and S3-FIFO alike; each policy's own order is in EvictionPolicyTests.
        let cost = 1024 + EdgeCache.entryOverheadBytes
        let edge = EdgeCache(configuration: .init(capacityBytes: cost * 3, stripes: 1))
        for index in 0..<3 {
            edge.set(EdgeFixtures.key(index), entry: EdgeFixtures.entry(size: 1024, now: now), namespace: nil, now: now)
        }
        _ = edge.get(EdgeFixtures.key(0), now: now)  // 0 is read; 1 is now the oldest unread entry
        edge.set(EdgeFixtures.key(3), entry: EdgeFixtures.entry(size: 1024, now: now), namespace: nil, now: now)
        #expect(edge.peek(EdgeFixtures.key(1), now: now) == nil)
        #expect(edge.peek(EdgeFixtures.key(0), now: now) != nil)
        #expect(edge.peek(EdgeFixtures.key(2), now: now) != nil)
        #expect(edge.peek(EdgeFixtures.key(3), now: now) != nil)
        let statistics = edge.statistics()
        #expect(statistics.evictions == 1)
        #expect(statistics.storedBytes <= statistics.capacityBytes)
    }

    @Test("each stripe keeps to its own share of the budget")
    func stripesShareTheBudget() {
        let edge = EdgeCache(configuration: .init(capacityBytes: 64 * 1024, stripes: 4))
        for index in 0..<500 {
            edge.set(EdgeFixtures.key(index), entry: EdgeFixtures.entry(size: 500, now: now), namespace: nil, now: now)
        }
        let statistics = edge.statistics()
        #expect(statistics.storedBytes <= 64 * 1024)
        #expect(statistics.entries > 0)
        #expect(statistics.evictions > 0)
    }

    @Test("an entry larger than a stripe's budget is refused, not stored")
    func oversizedEntryIsRefused() {
        let edge = EdgeCache(configuration: .init(capacityBytes: 16 * 1024, stripes: 4))
        #expect(!edge.set(EdgeFixtures.key(1), entry: EdgeFixtures.entry(size: 8 * 1024, now: now), namespace: nil, now: now))
        #expect(edge.statistics().entries == 0)
        #expect(edge.statistics().rejections == 1)
    }

    @Test("overwriting a key replaces its value and its byte charge")
    func overwriteReplaces() {
        let edge = EdgeCache()
        let key = EdgeFixtures.key(1)
        edge.set(key, entry: EdgeFixtures.entry(size: 100, now: now), namespace: nil, now: now)
        edge.set(key, entry: EdgeFixtures.entry(size: 300, now: now), namespace: nil, now: now)
        let statistics = edge.statistics()
        #expect(statistics.entries == 1)
        #expect(statistics.storedBytes == 300 + EdgeCache.entryOverheadBytes)
        #expect(edge.get(key, now: now)?.value.rawLength == 300)
    }

    @Test("remove deletes one entry")
    func removeDeletes() {
        let edge = EdgeCache()
        edge.set(EdgeFixtures.key(1), entry: EdgeFixtures.entry(size: 10, now: now), namespace: nil, now: now)
        #expect(edge.remove(EdgeFixtures.key(1)))
        #expect(!edge.remove(EdgeFixtures.key(1)))
        #expect(edge.get(EdgeFixtures.key(1), now: now) == nil)
        #expect(edge.statistics().storedBytes == 0)
    }

    @Test("the sweeper reclaims expired entries with bounded work per call")
    func sweepIsBounded() {
        let edge = EdgeCache(configuration: .init(capacityBytes: 1 << 20, stripes: 1))
        for index in 0..<100 {
            let ttl: Int64 = index < 60 ? 1000 : 60_000
            edge.set(EdgeFixtures.key(index), entry: EdgeFixtures.entry(size: 10, now: now, ttlMillis: ttl), namespace: nil, now: now)
        }
        let later = now + 2000
        let first = edge.sweep(maxSlotsPerShard: 10, now: later)
        #expect(first <= 10)
        var total = first
        for _ in 0..<20 { total += edge.sweep(maxSlotsPerShard: 10, now: later) }
        #expect(total == 60)
        #expect(edge.statistics().entries == 40)
        #expect(edge.statistics().expirations == 60)
    }

    @Test("removeAll(in:) drops only that namespace's entries")
    func removeAllInNamespace() {
        let edge = EdgeCache()
        let mine = CacheNamespace(tenant: "t", name: "mine")
        let theirs = CacheNamespace(tenant: "t", name: "theirs")
        for index in 0..<20 {
            edge.set(EdgeFixtures.key(index), entry: EdgeFixtures.entry(size: 10, now: now), namespace: index.isMultiple(of: 2) ? mine : theirs, now: now)
        }
        #expect(edge.removeAll(in: mine) == 10)
        #expect(edge.statistics().entries == 10)
        #expect(edge.get(EdgeFixtures.key(1), now: now) != nil)
        #expect(edge.get(EdgeFixtures.key(0), now: now) == nil)
    }

    @Test("configurations that cannot work are described, not accepted")
    func configurationValidation() {
        #expect(EdgeCache.Configuration(stripes: 3).problem != nil)
        #expect(EdgeCache.Configuration(stripes: 0).problem != nil)
        #expect(EdgeCache.Configuration(capacityBytes: 100, stripes: 16).problem != nil)
        #expect(EdgeCache.Configuration().problem == nil)
    }

    @Test("a zero byte budget disables the edge tier: every entry is refused")
    func zeroBudgetDisables() {
        let edge = EdgeCache(configuration: .init(capacityBytes: 0, stripes: 1))
        #expect(!edge.set(EdgeFixtures.key(1), entry: EdgeFixtures.entry(size: 1, now: now), namespace: nil, now: now))
        #expect(edge.get(EdgeFixtures.key(1), now: now) == nil)
        #expect(edge.statistics().entries == 0)
    }
}
