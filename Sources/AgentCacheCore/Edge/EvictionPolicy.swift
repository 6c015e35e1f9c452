/// Decides which slot a full shard gives up. It sees slots, a 64-bit fingerprint of each
/// key and each entry's byte cost, never keys or values (the store does not know the
/// policy and the policy does not know the store). Not thread-safe: called under the
/// shard's lock. Every call is O(1) amortised and allocates only while its arrays grow.
protocol EvictionPolicy: Sendable {
    /// An empty policy for a shard of `budgetBytes` (policies that size queues use it).
    init(budgetBytes: Int)
    /// A new entry costing `cost` bytes, whose key hashes to `fingerprint`, now lives in `slot`.
    mutating func inserted(_ slot: Int32, fingerprint: UInt64, cost: Int)
    /// The entry in `slot` was read.
    mutating func accessed(_ slot: Int32)
    /// The entry in `slot` left (evicted, expired, deleted, replaced).
    mutating func removed(_ slot: Int32)
    /// The slot to evict next, nil when empty. The caller then removes it.
    mutating func victim() -> Int32?
}
