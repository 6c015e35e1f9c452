/// A tier behind the edge (Redis, later others): shared, slower, and allowed to fail.
/// A failure is a miss on read and a silent skip on write, reported through the tier's own
/// health and metrics; only a deletion, which must hold everywhere to be acknowledged, throws.
public protocol CacheTier: Sendable {
    /// The tier's name in responses and metrics.
    var name: TierName { get }

    /// The live entry for `key`, or nil on a miss, a failure, or an undecodable value.
    func get(_ key: CacheKey, namespace: CacheNamespace, generation: UInt64) async -> CacheEntry?

    /// Stores `entry` until its expiry; best effort.
    func set(_ key: CacheKey, entry: CacheEntry, namespace: CacheNamespace, generation: UInt64) async

    /// Deletes `key` from the tier and from every node's copy of it (a shared tier tells the
    /// other nodes), or throws 503 `SERVICE_UNAVAILABLE` when it cannot (SPEC §4).
    func remove(_ key: CacheKey, namespace: CacheNamespace, generation: UInt64) async throws(CacheError)
}
