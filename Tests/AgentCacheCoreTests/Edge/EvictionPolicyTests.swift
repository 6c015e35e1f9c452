import Testing
@testable import AgentCacheCore

/// Evicts until empty, removing each victim as the shard does; returns the order.
private func drain<Policy: EvictionPolicy>(_ policy: inout Policy) -> [Int32] {
    var order: [Int32] = []
    while let slot = policy.victim() {
        order.append(slot)
        policy.removed(slot)
        if order.count > 10_000 { break }
    }
    return order
}

/// A policy for a 1000-byte shard holding slots 0..<count (100 bytes, fingerprint 100 + slot), inserted in order.
private func filled<Policy: EvictionPolicy>(_ type: Policy.Type, slots count: Int32) -> Policy {
    var policy = Policy(budgetBytes: 1000)
    for slot in 0..<count { policy.inserted(slot, fingerprint: UInt64(100 + slot), cost: 100) }
    return policy
}

@Suite("Eviction policies")
struct EvictionPolicyTests {
    @Test("LRU evicts the least recently used slot first")
    func lruOrder() {
        var policy = filled(LRUPolicy.self, slots: 4)
        policy.accessed(0)
        policy.accessed(2)
        #expect(drain(&policy) == [1, 3, 0, 2])
    }

    @Test("S3-FIFO evicts unread entries in insertion order")
    func s3fifoFIFOOrder() {
        var policy = filled(S3FIFOPolicy.self, slots: 5)
        #expect(drain(&policy) == [0, 1, 2, 3, 4])
    }

    @Test("S3-FIFO promotes an entry read in the small queue to main instead of evicting it")
    func s3fifoPromotesReadEntries() {
        var policy = filled(S3FIFOPolicy.self, slots: 4)
        policy.accessed(0)
        // 0 moves to main; the small queue (1, 2, 3) empties first, then main.
        #expect(drain(&policy) == [1, 2, 3, 0])
    }

    @Test("S3-FIFO gives a main entry read since its last lap one more lap")
    func s3fifoMainSecondChance() {
        var policy = filled(S3FIFOPolicy.self, slots: 3)
        policy.accessed(0)
        policy.accessed(1)
        #expect(policy.victim() == 2)  // unread: leaves the small queue; 0 and 1 went to main
        policy.removed(2)
        policy.accessed(0)  // read again in main
        #expect(drain(&policy) == [1, 0])
    }

    @Test("S3-FIFO sends a key evicted moments ago straight to main (ghost queue)")
    func s3fifoGhostReadmitsToMain() {
        var policy = filled(S3FIFOPolicy.self, slots: 10)
        #expect(policy.victim() == 0)
        policy.removed(0)
        policy.inserted(0, fingerprint: 100, cost: 100)  // key 100 comes back: main
        policy.inserted(10, fingerprint: 110, cost: 100)  // a new key: small
        // Small (1...9, 10) drains before main (0); without the ghost 0 would precede 10.
        #expect(drain(&policy) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0])
    }

    @Test("removing arbitrary slots from both queues keeps the rest evictable exactly once")
    func s3fifoArbitraryRemoval() {
        var policy = S3FIFOPolicy(budgetBytes: 10_000)
        var random = SplitMix64(seed: 11)
        for slot: Int32 in 0..<60 { policy.inserted(slot, fingerprint: random.next(), cost: 100) }
        for slot: Int32 in stride(from: 0, to: 60, by: 3) { policy.accessed(slot) }
        // Evict a few so main holds the read ones, then remove heads, tails and middles.
        var live = Set<Int32>(0..<60)
        for _ in 0..<5 {
            let victim = policy.victim()!
            policy.removed(victim)
            live.remove(victim)
        }
        for slot: Int32 in [0, 59, 30, 31, 3, 57, 58, 12] where live.contains(slot) {
            policy.removed(slot)
            policy.removed(slot)  // a second removal is a no-op
            live.remove(slot)
        }
        let order = drain(&policy)
        #expect(order.count == live.count)
        #expect(Set(order) == live)
    }

    @Test("a freed slot is reused as a fresh entry, without the old entry's reads")
    func s3fifoSlotReuse() {
        var policy = S3FIFOPolicy(budgetBytes: 1000)
        policy.inserted(0, fingerprint: 1, cost: 100)
        policy.inserted(1, fingerprint: 2, cost: 100)
        policy.accessed(0)
        policy.accessed(0)
        policy.removed(0)
        policy.inserted(0, fingerprint: 3, cost: 300)
        // The reused slot 0 is unread: it leaves in FIFO order after 1.
        #expect(drain(&policy) == [1, 0])
        #expect(policy.victim() == nil)
    }

    @Test("SIEVE keeps read entries in place and evicts the oldest unread one")
    func sieveOrder() {
        var policy = filled(SIEVEPolicy.self, slots: 4)
        policy.accessed(0)
        policy.accessed(2)
        #expect(policy.victim() == 1)
        policy.removed(1)
        policy.removed(3)  // removal elsewhere leaves the hand valid
        #expect(drain(&policy) == [0, 2])
    }

    @Test("a scan of new keys does not flush entries that are read often (S3-FIFO), but does under LRU")
    func scanDoesNotFlushHotEntries() {
        let now: Int64 = 1_700_000_000_000
        let cost = 1024 + EdgeCache.entryOverheadBytes
        func record(_ index: Int) -> EdgeRecord {
            EdgeRecord(key: EdgeFixtures.key(index), entry: EdgeFixtures.entry(size: 1024, now: now), namespaceTag: 0, cost: cost)
        }
        func survivors<Policy: EvictionPolicy>(_ policy: Policy.Type) -> Int {
            var shard = EdgeShardState<Policy>(budgetBytes: cost * 10)
            for hot in 0..<5 {
                _ = shard.set(record(hot), now: now)
                _ = shard.get(EdgeFixtures.key(hot), now: now, countsAsLookup: true)
                _ = shard.get(EdgeFixtures.key(hot), now: now, countsAsLookup: true)
            }
            for scanned in 100..<200 { _ = shard.set(record(scanned), now: now) }
            #expect(shard.statistics.storedBytes <= cost * 10)
            return (0..<5).filter { shard.get(EdgeFixtures.key($0), now: now, countsAsLookup: false) != nil }.count
        }
        #expect(survivors(S3FIFOPolicy.self) == 5)
        #expect(survivors(LRUPolicy.self) == 0)
    }

    @Test("after sweeps and namespace removals S3-FIFO shards keep evicting within budget")
    func s3fifoSurvivesSweepAndNamespaceRemoval() {
        let now: Int64 = 1_700_000_000_000
        let cost = 100 + EdgeCache.entryOverheadBytes
        var shard = EdgeShardState<S3FIFOPolicy>(budgetBytes: cost * 10)
        func record(_ index: Int, ttl: Int64, tag: UInt64) -> EdgeRecord {
            EdgeRecord(key: EdgeFixtures.key(index), entry: EdgeFixtures.entry(size: 100, now: now, ttlMillis: ttl), namespaceTag: tag, cost: cost)
        }
        for index in 0..<10 {
            _ = shard.set(record(index, ttl: index < 4 ? 10 : 60_000, tag: index < 7 ? 1 : 2), now: now)
            if index.isMultiple(of: 2) { _ = shard.get(EdgeFixtures.key(index), now: now, countsAsLookup: true) }
        }
        let swept = shard.sweep(maxSlots: 100, now: now + 10)
        let removed = shard.removeAll(namespaceTag: 2)
        #expect(swept == 4)
        #expect(removed == 3)
        #expect(shard.statistics.entries == 3)
        for index in 100..<150 {
            let stored = shard.set(record(index, ttl: 60_000, tag: 1), now: now + 10)
            #expect(stored)
            #expect(shard.statistics.storedBytes <= cost * 10)
        }
        #expect(shard.statistics.entries == 10)
        let expired = shard.get(EdgeFixtures.key(3), now: now + 10, countsAsLookup: true)
        #expect(expired == nil)  // an expired entry stays gone
    }
}
