/// One edge entry with what the shard needs to account for and drop it.
struct EdgeRecord: Sendable {
    var key: CacheKey
    var entry: CacheEntry
    /// Identifies the entry's namespace so a remote invalidation can drop it early.
    var namespaceTag: UInt64
    /// Bytes charged against the shard's budget.
    var cost: Int
}

/// A slab of records addressed by small integer slots plus a key -> slot index.
/// Slots let the eviction policy keep its links in flat arrays instead of per-entry objects.
/// Not thread-safe: `EdgeShard` holds the lock.
struct EdgeStore: Sendable {
    private var records: [EdgeRecord?] = []
    private var index: [CacheKey: Int32] = [:]
    private var freeSlots: [Int32] = []

    /// Live records.
    var count: Int { index.count }
    /// Slots ever allocated (live or free); the sweeper's scan range.
    var slotCount: Int { records.count }

    /// The slot holding `key`, if any. One hash lookup.
    func slot(of key: CacheKey) -> Int32? { index[key] }

    /// The record in `slot`, nil for a free slot.
    func record(at slot: Int32) -> EdgeRecord? { records[Int(slot)] }

    /// Stores `record` in a free slot (reusing one when it can) and returns the slot.
    mutating func insert(_ record: EdgeRecord) -> Int32 {
        let slot: Int32
        if let reused = freeSlots.popLast() {
            slot = reused
            records[Int(slot)] = record
        } else {
            slot = Int32(records.count)
            records.append(record)
        }
        index[record.key] = slot
        return slot
    }

    /// Frees `slot` and returns what it held.
    @discardableResult
    mutating func remove(at slot: Int32) -> EdgeRecord? {
        guard let record = records[Int(slot)] else { return nil }
        records[Int(slot)] = nil
        index[record.key] = nil
        freeSlots.append(slot)
        return record
    }
}
