import NIOConcurrencyHelpers

/// The cache as the API sees it: namespaces and generations, keys, the edge tier and the
/// tiers behind it. Knows nothing of HTTP. An edge hit costs one key encoding, one XXH3-128,
/// one stripe lock and (for compressed values) one LZ4 decode.
public final class CacheEngine: Sendable {
    /// Tunables of the engine.
    public struct Configuration: Sendable {
        /// TTL of a `set` that names none, in seconds (SPEC: 7 days).
        public var defaultTTLSeconds: Double
        /// Longest TTL honoured; longer ones are clamped and the answer says so.
        public var maxTTLSeconds: Double
        /// Values under this many bytes are never compressed.
        public var compressionThreshold: Int
        /// Largest decoded value a tier may hand back (guards decompression).
        public var maxValueBytes: Int

        /// Defaults: 7-day TTL, 10-year ceiling, compress from 256 bytes, values up to 64 MiB.
        public init(
            defaultTTLSeconds: Double = 604_800,
            maxTTLSeconds: Double = 315_360_000,
            compressionThreshold: Int = StoredValue.defaultCompressionThreshold,
            maxValueBytes: Int = 64 << 20
        ) {
            self.defaultTTLSeconds = defaultTTLSeconds
            self.maxTTLSeconds = maxTTLSeconds
            self.compressionThreshold = compressionThreshold
            self.maxValueBytes = maxValueBytes
        }
    }

    /// A hit: the decoded value, its entry and the tier that answered.
    public struct Hit: Sendable {
        /// The decoded value (JSON bytes).
        public var value: [UInt8]
        /// The entry as the answering tier held it.
        public var entry: CacheEntry
        /// Which tier answered.
        public var tier: TierName
    }

    /// What a `set` stored.
    public struct Stored: Sendable {
        /// The key it was stored under.
        public var key: CacheKey
        /// What was stored, with its lifetime.
        public var entry: CacheEntry
        /// The TTL used, in seconds (after defaulting and clamping).
        public var ttlSeconds: Double
    }

    /// The edge tier.
    public let edge: EdgeCache
    /// Namespace generations: in process, or shared through Redis.
    public let generations: any GenerationStore
    /// Tiers consulted after an edge miss, in order.
    public let remoteTiers: [any CacheTier]
    /// The clock every lifetime is measured with.
    public let clock: any CacheClock
    /// The engine's tunables.
    public let configuration: Configuration
    private let promotionCount = NIOLockedValueBox<UInt64>(0)

    /// Remote hits copied into the edge tier so far.
    public var promotions: UInt64 { promotionCount.withLockedValue { $0 } }

    /// Assembles an engine.
    public init(
        edge: EdgeCache,
        generations: any GenerationStore = NamespaceGenerations(),
        remoteTiers: [any CacheTier] = [],
        clock: any CacheClock = SystemClock(),
        configuration: Configuration = .init()
    ) {
        self.edge = edge
        self.generations = generations
        self.remoteTiers = remoteTiers
        self.clock = clock
        self.configuration = configuration
    }

    /// The key material (and so the key) of `fields` in `namespace` at its current generation.
    /// Cost once the generation is known: the canonical encoding and one XXH3-128.
    public func keyMaterial(for fields: ChatKeyFields, in namespace: CacheNamespace) -> Eventual<KeyMaterial> {
        generations.generation(of: namespace).map { generation in
            KeyMaterial.chat(namespace: namespace, generation: generation, fields: fields)
        }
    }

    /// The key of `fields` in `namespace` at its current generation. At hand once the
    /// generation is known. Cost: the canonical encoding and one XXH3-128.
    public func key(for fields: ChatKeyFields, in namespace: CacheNamespace) -> Eventual<ResolvedKey> {
        generations.generation(of: namespace).map { generation in
            ResolvedKey(namespace: namespace, generation: generation, key: KeyMaterial.chat(namespace: namespace, generation: generation, fields: fields).key)
        }
    }

    /// Looks `fields` up: edge, then each remote tier, promoting a remote hit into the edge.
    /// At hand (`.now`) for an edge hit, or a miss with no remote tiers, once the namespace's
    /// generation is known.
    public func lookup(_ fields: ChatKeyFields, in namespace: CacheNamespace) -> Eventual<(key: CacheKey, hit: Hit?)> {
        key(for: fields, in: namespace).flatMap { [self] resolved in
            lookup(resolved.key, in: namespace, generation: resolved.generation).map { hit in (resolved.key, hit) }
        }
    }

    /// Looks `key` up through the tiers: the edge at once (counted, recency refreshed), then
    /// the remote tiers after a suspension, promoting a remote hit into the edge with its
    /// remaining lifetime. A value that fails to decode is dropped and missed.
    /// Cost: one stripe lock and a decode; one round trip per remote tier consulted on a miss.
    public func lookup(_ key: CacheKey, in namespace: CacheNamespace, generation: UInt64) -> Eventual<Hit?> {
        if let hit = edgeHit(key, now: clock.nowMillis()) { return .value(hit) }
        if remoteTiers.isEmpty { return .value(nil) }
        return .later { [self] in .success(await remoteLookup(key, in: namespace, generation: generation)) }
    }

    private func remoteLookup(_ key: CacheKey, in namespace: CacheNamespace, generation: UInt64) async -> Hit? {
        for tier in remoteTiers {
            guard let entry = await tier.get(key, namespace: namespace, generation: generation) else { continue }
            let now = clock.nowMillis()
            guard !entry.isExpired(at: now),
                let value = try? entry.value.decoded(maxRawLength: configuration.maxValueBytes)
            else { continue }
            // Promote with the entry's own expiry, so the edge never outlives the remote copy.
            if edge.set(key, entry: entry, namespace: namespace, now: now) {
                promotionCount.withLockedValue { $0 += 1 }
            }
            return Hit(value: value, entry: entry, tier: tier.name)
        }
        return nil
    }

    /// The edge entry for `key` decoded, or nil; a value that fails to decode is dropped.
    private func edgeHit(_ key: CacheKey, now: Int64) -> Hit? {
        guard let entry = edge.get(key, now: now) else { return nil }
        if let value = try? entry.value.decoded(maxRawLength: configuration.maxValueBytes) {
            return Hit(value: value, entry: entry, tier: .edge)
        }
        edge.remove(key)
        return nil
    }

    /// Whether `fields` is cached and for how long; counts as no lookup and refreshes nothing.
    public func check(_ fields: ChatKeyFields, in namespace: CacheNamespace) async throws(CacheError) -> (key: CacheKey, entry: CacheEntry?) {
        let generation = try await generations.generation(of: namespace).get()
        let key = KeyMaterial.chat(namespace: namespace, generation: generation, fields: fields).key
        let now = clock.nowMillis()
        if let entry = edge.peek(key, now: now) {
            return (key, entry)
        }
        for tier in remoteTiers {
            if let entry = await tier.get(key, namespace: namespace, generation: generation), !entry.isExpired(at: now) {
                return (key, entry)
            }
        }
        return (key, nil)
    }

    /// Stores `value` (JSON bytes) for `fields`, in the edge and every remote tier, with what
    /// the answer cost (`cost`, added to the savings on every hit).
    /// `ttlSeconds` nil means the default; longer than the maximum is clamped, and so is
    /// longer than `maxTTLSeconds` (the caller's own cap, e.g. its API key tier's).
    public func store(
        _ value: [UInt8],
        for fields: ChatKeyFields,
        in namespace: CacheNamespace,
        ttlSeconds: Double?,
        maxTTLSeconds: Double? = nil,
        cost: AnswerCost = .zero
    ) async throws(CacheError) -> Stored {
        let generation = try await generations.generation(of: namespace).get()
        let key = KeyMaterial.chat(namespace: namespace, generation: generation, fields: fields).key
        return await store(
            value, key: key, in: namespace, generation: generation, ttlSeconds: ttlSeconds, maxTTLSeconds: maxTTLSeconds, cost: cost
        )
    }

    /// Stores `value` under an already computed `key`.
    public func store(
        _ value: [UInt8],
        key: CacheKey,
        in namespace: CacheNamespace,
        generation: UInt64,
        ttlSeconds: Double?,
        maxTTLSeconds: Double? = nil,
        cost: AnswerCost = .zero
    ) async -> Stored {
        let ttl = min(ttlSeconds ?? configuration.defaultTTLSeconds, configuration.maxTTLSeconds, maxTTLSeconds ?? .infinity)
        let now = clock.nowMillis()
        let ttlMillis = max(1, Int64((ttl * 1000).rounded(.up)))
        let entry = CacheEntry(
            value: StoredValue(encoding: value, compressionThreshold: configuration.compressionThreshold),
            createdAtMillis: now,
            expiresAtMillis: now + ttlMillis,
            cost: cost
        )
        edge.set(key, entry: entry, namespace: namespace, now: now)
        for tier in remoteTiers {
            await tier.set(key, entry: entry, namespace: namespace, generation: generation)
        }
        return Stored(key: key, entry: entry, ttlSeconds: ttl)
    }

    /// Deletes the one entry `fields` names, everywhere. True when the edge held it.
    public func delete(_ fields: ChatKeyFields, in namespace: CacheNamespace) async throws(CacheError) -> (key: CacheKey, removed: Bool) {
        let generation = try await generations.generation(of: namespace).get()
        let key = KeyMaterial.chat(namespace: namespace, generation: generation, fields: fields).key
        let removed = edge.remove(key)
        for tier in remoteTiers {
            try await tier.remove(key, namespace: namespace, generation: generation)
        }
        return (key, removed)
    }

    /// Makes every entry of `namespace` unreachable at once by advancing its generation. O(1).
    public func invalidate(_ namespace: CacheNamespace) async throws(CacheError) -> UInt64 {
        try await generations.advance(namespace)
    }

    /// The generation `namespace` is at now.
    public func generation(of namespace: CacheNamespace) -> Eventual<UInt64> {
        generations.generation(of: namespace)
    }
}
