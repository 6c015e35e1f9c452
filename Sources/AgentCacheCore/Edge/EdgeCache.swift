/// The in-process tier: N lock-striped shards, each with its own lock, its own share of the
/// byte budget and its own eviction policy (`EdgePolicy`, S3-FIFO). A lookup costs one hash,
/// one lock and one dictionary probe.
public final class EdgeCache: Sendable {
    /// How big and how striped the edge tier is.
    public struct Configuration: Sendable {
        /// Total byte budget across all stripes (stored bytes plus per-entry overhead); 0 disables the tier.
        public var capacityBytes: Int
        /// Number of stripes; a power of two.
        public var stripes: Int

        /// 256 MiB over 16 stripes.
        public init(capacityBytes: Int = 256 << 20, stripes: Int = 16) {
            self.capacityBytes = capacityBytes
            self.stripes = stripes
        }

        /// Nil when valid, else a one-line reason.
        public var problem: String? {
            if stripes < 1 || stripes > 4096 || stripes & (stripes - 1) != 0 {
                return "stripes must be a power of two between 1 and 4096, got \(stripes)"
            }
            // 0 turns the edge tier off (every entry is refused): for Redis-only nodes and measurements.
            if capacityBytes != 0 && capacityBytes < stripes * 1024 {
                return "edge capacity \(capacityBytes) bytes is too small for \(stripes) stripes (need at least \(stripes * 1024), or 0 to disable the edge tier)"
            }
            return nil
        }
    }

    /// Bytes charged per entry on top of its payload: slot, index entry, policy links, header.
    public static let entryOverheadBytes = 128

    private let shards: [EdgeShard]
    private let mask: Int
    /// The configuration the tier was built with.
    public let configuration: Configuration

    /// Builds the tier. The configuration must be valid (`problem == nil`).
    public init(configuration: Configuration = .init()) {
        precondition(configuration.problem == nil, configuration.problem ?? "")
        self.configuration = configuration
        let perShard = configuration.capacityBytes / configuration.stripes
        shards = (0..<configuration.stripes).map { _ in EdgeShard(budgetBytes: perShard) }
        mask = configuration.stripes - 1
    }

    @inline(__always)
    private func shard(for key: CacheKey) -> EdgeShard {
        shards[key.stripe(mask: mask)]
    }

    /// The live entry for `key` at `now`, counted as a hit or a miss and refreshing its recency.
    public func get(_ key: CacheKey, now: Int64) -> CacheEntry? {
        shard(for: key).get(key, now: now)
    }

    /// The live entry for `key` without counting a lookup or touching recency (for `check`).
    public func peek(_ key: CacheKey, now: Int64) -> CacheEntry? {
        shard(for: key).peek(key, now: now)
    }

    /// Stores `entry` under `key`, evicting older entries of its stripe as needed.
    /// Returns false when the entry alone exceeds a stripe's budget (it is then not stored).
    @discardableResult
    public func set(_ key: CacheKey, entry: CacheEntry, namespace: CacheNamespace?, now: Int64) -> Bool {
        let record = EdgeRecord(
            key: key,
            entry: entry,
            namespaceTag: namespace.map(Self.namespaceTag) ?? 0,
            cost: entry.value.bytes.count + Self.entryOverheadBytes
        )
        return shard(for: key).set(record, now: now)
    }

    /// Deletes `key`; true when it was there.
    @discardableResult
    public func remove(_ key: CacheKey) -> Bool {
        shard(for: key).remove(key)
    }

    /// Reclaims expired entries, examining at most `maxSlotsPerShard` slots in each stripe
    /// (each stripe locked separately). Returns how many were reclaimed.
    @discardableResult
    public func sweep(maxSlotsPerShard: Int, now: Int64) -> Int {
        shards.reduce(0) { $0 + $1.sweep(maxSlots: maxSlotsPerShard, now: now) }
    }

    /// Drops every entry of `namespace` (after another node invalidated it). O(entries).
    @discardableResult
    public func removeAll(in namespace: CacheNamespace) -> Int {
        let tag = Self.namespaceTag(namespace)
        return shards.reduce(0) { $0 + $1.removeAll(namespaceTag: tag) }
    }

    /// Drops every entry (after this node may have missed deletions another node made).
    /// O(entries).
    @discardableResult
    public func removeAll() -> Int {
        shards.reduce(0) { $0 + $1.removeAll(namespaceTag: nil) }
    }

    /// All stripes' figures summed (each stripe locked briefly in turn).
    public func statistics() -> EdgeStatistics {
        var total = EdgeStatistics(capacityBytes: 0)
        for shard in shards { total.add(shard.statistics()) }
        return total
    }

    /// Entries whose namespace tag is 0 were stored without a namespace.
    /// Hashes the name's UTF-8 in place: no copy on the set path.
    static func namespaceTag(_ namespace: CacheNamespace) -> UInt64 {
        var qualified = namespace.qualified
        let digest = qualified.withUTF8 { KeyHasher.hash(UnsafeRawBufferPointer($0)) }
        return digest.low == 0 ? 1 : digest.low
    }
}
