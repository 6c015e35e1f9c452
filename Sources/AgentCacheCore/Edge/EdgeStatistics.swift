/// Counters and gauges of the edge tier (one shard, or all of them summed).
public struct EdgeStatistics: Sendable, Equatable {
    /// Lookups that found a live entry.
    public var hits: UInt64 = 0
    /// Lookups that found nothing or an expired entry.
    public var misses: UInt64 = 0
    /// Live entries given up to make room.
    public var evictions: UInt64 = 0
    /// Expired entries reclaimed (by a lookup, the sweeper or eviction).
    public var expirations: UInt64 = 0
    /// Entries stored.
    public var insertions: UInt64 = 0
    /// Values refused because they exceed a whole stripe's budget.
    public var rejections: UInt64 = 0
    /// Live entries now.
    public var entries: Int = 0
    /// Bytes charged against the budget now (stored payload plus per-entry overhead).
    public var storedBytes: Int = 0
    /// Size of the live values as stored (compressed where LZ4 paid), without overhead.
    public var payloadBytes: Int = 0
    /// Decoded size of the live values now.
    public var rawBytes: Int = 0
    /// The byte budget.
    public var capacityBytes: Int

    /// Empty statistics for a budget of `capacityBytes`.
    public init(capacityBytes: Int) {
        self.capacityBytes = capacityBytes
    }

    /// Raw bytes per payload byte (1 when empty); above 1 means compression is paying.
    public var compressionRatio: Double {
        payloadBytes == 0 ? 1 : Double(rawBytes) / Double(payloadBytes)
    }

    /// Adds another shard's figures to these.
    public mutating func add(_ other: EdgeStatistics) {
        hits += other.hits
        misses += other.misses
        evictions += other.evictions
        expirations += other.expirations
        insertions += other.insertions
        rejections += other.rejections
        entries += other.entries
        storedBytes += other.storedBytes
        rawBytes += other.rawBytes
        payloadBytes += other.payloadBytes
        capacityBytes += other.capacityBytes
    }
}
