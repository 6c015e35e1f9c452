/// Decides which slot a full shard gives up. It sees slots only, never keys or values
/// (the store does not know the policy and the policy does not know the store).
/// Not thread-safe: called under the shard's lock.
protocol EvictionPolicy: Sendable {
    init()
    /// A new entry now lives in `slot`.
    mutating func inserted(_ slot: Int32)
    /// The entry in `slot` was read (or overwritten).
    mutating func accessed(_ slot: Int32)
    /// The entry in `slot` left (evicted, expired, deleted).
    mutating func removed(_ slot: Int32)
    /// The slot to evict next, nil when empty. The caller then removes it.
    mutating func victim() -> Int32?
}
