/// A tier behind the edge (Redis, later others): shared, slower, and allowed to fail.
/// Implementations must never throw into a request: a failure is a miss on read and a
/// silent skip on write, reported through their own health and metrics.
public protocol CacheTier: Sendable {
    /// The tier's name in responses and metrics.
    var name: TierName { get }

    /// The live entry for `key`, or nil on a miss, a failure, or an undecodable value.
    func get(_ key: CacheKey, namespace: CacheNamespace, generation: UInt64) async -> CacheEntry?

    /// Stores `entry` until its expiry; best effort.
    func set(_ key: CacheKey, entry: CacheEntry, namespace: CacheNamespace, generation: UInt64) async

    /// Deletes `key`; best effort.
    func remove(_ key: CacheKey, namespace: CacheNamespace, generation: UInt64) async
}
