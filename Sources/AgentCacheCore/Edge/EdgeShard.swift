import NIOConcurrencyHelpers

/// The eviction policy every edge shard runs in production; `agentcache simulate` measures it.
typealias EdgePolicy = S3FIFOPolicy

extension CacheKey {
    /// The stripe of `EdgeCache` (stripes = `mask + 1`, a power of two) that holds this key:
    /// the high word picks it; the shard's dictionary hashes the low word. One AND.
    @inline(__always)
    func stripe(mask: Int) -> Int { Int(truncatingIfNeeded: high) & mask }
}

/// One stripe of the edge tier: a store, an eviction policy, a byte budget and counters,
/// all behind one lock. Lookups on different stripes never contend.
final class EdgeShard: Sendable {
    private let state: NIOLockedValueBox<EdgeShardState<EdgePolicy>>

    init(budgetBytes: Int) {
        state = NIOLockedValueBox(EdgeShardState(budgetBytes: budgetBytes))
    }

    func get(_ key: CacheKey, now: Int64) -> CacheEntry? {
        state.withLockedValue { $0.get(key, now: now, countsAsLookup: true) }
    }

    func peek(_ key: CacheKey, now: Int64) -> CacheEntry? {
        state.withLockedValue { $0.get(key, now: now, countsAsLookup: false) }
    }

    func set(_ record: EdgeRecord, now: Int64) -> Bool {
        state.withLockedValue { $0.set(record, now: now) }
    }

    func remove(_ key: CacheKey) -> Bool {
        state.withLockedValue { $0.remove(key) }
    }

    func sweep(maxSlots: Int, now: Int64) -> Int {
        state.withLockedValue { $0.sweep(maxSlots: maxSlots, now: now) }
    }

    /// Removes the entries of the namespace with `namespaceTag`, or every entry for nil.
    func removeAll(namespaceTag: UInt64?) -> Int {
        state.withLockedValue { $0.removeAll(namespaceTag: namespaceTag) }
    }

    func statistics() -> EdgeStatistics {
        state.withLockedValue { $0.statistics }
    }
}

/// The unlocked state of one shard. Every method assumes the caller holds the shard's lock.
struct EdgeShardState<Policy: EvictionPolicy>: Sendable {
    private var store = EdgeStore()
    private var policy: Policy
    private let budgetBytes: Int
    private var sweepCursor = 0
    private(set) var statistics: EdgeStatistics

    /// An empty shard that keeps its entries within `budgetBytes`.
    init(budgetBytes: Int) {
        self.budgetBytes = budgetBytes
        self.policy = Policy(budgetBytes: budgetBytes)
        self.statistics = EdgeStatistics(capacityBytes: budgetBytes)
    }

    /// Returns the live entry for `key`, dropping it if expired. Counted as a hit or miss,
    /// and refreshing recency, only when `countsAsLookup` (a `check` does neither).
    mutating func get(_ key: CacheKey, now: Int64, countsAsLookup: Bool) -> CacheEntry? {
        guard let slot = store.slot(of: key), let record = store.record(at: slot) else {
            if countsAsLookup { statistics.misses += 1 }
            return nil
        }
        if record.entry.isExpired(at: now) {
            drop(slot)
            statistics.expirations += 1
            if countsAsLookup { statistics.misses += 1 }
            return nil
        }
        if countsAsLookup {
            statistics.hits += 1
            policy.accessed(slot)
        }
        return record.entry
    }

    /// Stores `record`, evicting until it fits. False when it is larger than the whole budget.
    mutating func set(_ record: EdgeRecord, now: Int64) -> Bool {
        if let slot = store.slot(of: record.key) {
            drop(slot)
        }
        guard record.cost <= budgetBytes else {
            statistics.rejections += 1
            return false
        }
        while statistics.storedBytes + record.cost > budgetBytes, let victim = policy.victim() {
            let expired = drop(victim)?.entry.isExpired(at: now) ?? false
            if expired { statistics.expirations += 1 } else { statistics.evictions += 1 }
        }
        let slot = store.insert(record)
        policy.inserted(slot, fingerprint: record.key.low, cost: record.cost)
        account(record, sign: 1)
        statistics.insertions += 1
        return true
    }

    mutating func remove(_ key: CacheKey) -> Bool {
        guard let slot = store.slot(of: key) else { return false }
        drop(slot)
        return true
    }

    /// Examines up to `maxSlots` slots from where the last sweep stopped and drops the
    /// expired ones. Bounded work, so the lock is held for microseconds whatever the size.
    mutating func sweep(maxSlots: Int, now: Int64) -> Int {
        let slots = store.slotCount
        guard slots > 0 else { return 0 }
        var reclaimed = 0
        for _ in 0..<min(maxSlots, slots) {
            if sweepCursor >= slots { sweepCursor = 0 }
            let slot = Int32(sweepCursor)
            sweepCursor += 1
            if let record = store.record(at: slot), record.entry.isExpired(at: now) {
                drop(slot)
                reclaimed += 1
            }
        }
        statistics.expirations += UInt64(reclaimed)
        return reclaimed
    }

    /// Drops every entry of one namespace. A full scan: for rare remote invalidations only.
    mutating func removeAll(namespaceTag: UInt64?) -> Int {
        var removed = 0
        for index in 0..<store.slotCount {
            let slot = Int32(index)
            if let record = store.record(at: slot), namespaceTag == nil || record.namespaceTag == namespaceTag {
                drop(slot)
                removed += 1
            }
        }
        return removed
    }

    /// Removes the entry in `slot` from the store, the policy and the accounts; returns it.
    @discardableResult
    private mutating func drop(_ slot: Int32) -> EdgeRecord? {
        guard let record = store.remove(at: slot) else { return nil }
        policy.removed(slot)
        account(record, sign: -1)
        return record
    }

    private mutating func account(_ record: EdgeRecord, sign: Int) {
        statistics.storedBytes += sign * record.cost
        statistics.rawBytes += sign * record.entry.value.rawLength
        statistics.payloadBytes += sign * record.entry.value.bytes.count
        statistics.entries += sign
    }
}
