/// Which eviction policy the simulator's edge column runs.
public enum SimulatedPolicy: String, CaseIterable, Sendable {
    /// The policy the edge tier ships with (`EdgePolicy`).
    case production
    /// Exact LRU per stripe (the edge tier's policy before S3-FIFO).
    case lru
    /// SIEVE per stripe.
    case sieve
    /// S3-FIFO per stripe.
    case s3fifo
}

/// One trace's outcome: the edge policy (striped like `EdgeCache`) against one exact LRU
/// over the whole byte budget.
public struct SimulationResult: Sendable, Equatable {
    /// The trace's name.
    public var trace: String
    /// Requests replayed, warm-up included.
    public var requests: Int
    /// Requests counted in the miss ratios (after the warm-up).
    public var measuredRequests: Int
    /// Total byte budget of both caches.
    public var capacityBytes: Int
    /// Misses per measured request of the striped edge policy.
    public var edgeMissRatio: Double
    /// Misses per measured request of the global exact LRU.
    public var lruMissRatio: Double

    /// (edge − LRU) / LRU: negative means the edge policy misses less. 0 when LRU never misses.
    public var relativeChange: Double {
        lruMissRatio == 0 ? 0 : (edgeMissRatio - lruMissRatio) / lruMissRatio
    }
}

/// Replays synthetic traces against the edge tier's real shard code and against exact LRU.
public enum HitRatioSimulator {
    /// How big the simulated cache is and how long the traces are.
    public struct Configuration: Sendable {
        /// Total byte budget (entry overhead included, as in `EdgeCache`).
        public var capacityBytes: Int
        /// Stripes of the edge column, each with `capacityBytes / stripes`.
        public var stripes: Int
        /// Requests per trace.
        public var requests: Int
        /// Seeds every trace.
        public var seed: UInt64
        /// The edge column's policy.
        public var policy: SimulatedPolicy

        /// 16 MiB over 16 stripes (production's stripe count), 2 M requests per trace.
        public init(
            capacityBytes: Int = 16 << 20, stripes: Int = 16, requests: Int = 2_000_000,
            seed: UInt64 = 0x5EED, policy: SimulatedPolicy = .production
        ) {
            self.capacityBytes = capacityBytes
            self.stripes = stripes
            self.requests = requests
            self.seed = seed
            self.policy = policy
        }

        /// Nil when the simulation can run, else a one-line reason.
        public var problem: String? {
            if let problem = EdgeCache.Configuration(capacityBytes: capacityBytes, stripes: stripes).problem { return problem }
            if capacityBytes == 0 { return "capacity must be positive" }
            if requests < 10 { return "requests must be at least 10, got \(requests)" }
            return nil
        }
    }

    /// Payload size of the fixed-size traces.
    public static let fixedValueBytes = 1024
    /// Size range of the variable-size traces (log-uniform).
    public static let variableValueBytes = (min: 64, max: 16 * 1024)

    /// The standard suite: with fixed 1 KiB values, Zipf at skews 0.6, 0.8, 0.99 and 1.2; with
    /// fixed and with variable value sizes, Zipf at 0.8 and 0.99, Zipf with one-hit-wonder
    /// scans, and a loop over 110% of the capacity.
    /// The Zipf universe is ten times what the cache holds; a scan as long as the cache
    /// holds runs after every four cache-fulls of Zipf requests. O(1) to build.
    public static func standardTraces(_ configuration: Configuration) -> [TraceSpec] {
        let requests = configuration.requests
        let seed = configuration.seed
        let fixed = TraceSpec.Sizes.fixed(fixedValueBytes)
        let variable = TraceSpec.Sizes.variable(min: variableValueBytes.min, max: variableValueBytes.max)
        /// Keys whose entries (overhead included) fill `bytes` at these sizes.
        func keysFilling(_ bytes: Int, _ sizes: TraceSpec.Sizes) -> Int {
            TraceSpec(name: "", pattern: .loop(length: 1), sizes: sizes, requests: 0, seed: seed)
                .keysFilling(bytes, overhead: EdgeCache.entryOverheadBytes)
        }
        var traces: [TraceSpec] = []
        for (sizes, suffix) in [(fixed, ""), (variable, "-var")] {
            let held = keysFilling(configuration.capacityBytes, sizes)
            let universe = held * 10
            let skews: [(Double, String)] = suffix.isEmpty ? [(0.6, "0.6"), (0.8, "0.8"), (0.99, "0.99"), (1.2, "1.2")] : [(0.8, "0.8"), (0.99, "0.99")]
            for (skew, label) in skews {
                traces.append(TraceSpec(name: "zipf-\(label)\(suffix)", pattern: .zipf(skew: skew, universe: universe), sizes: sizes, requests: requests, seed: seed))
            }
            for (skew, label) in [(0.8, "0.8"), (0.99, "0.99")] {
                traces.append(TraceSpec(
                    name: "zipf-\(label)+scans\(suffix)",
                    pattern: .zipfWithScans(skew: skew, universe: universe, scanLength: held, period: held * 4),
                    sizes: sizes, requests: requests, seed: seed))
            }
            let loop = keysFilling(configuration.capacityBytes * 11 / 10, sizes)
            traces.append(TraceSpec(name: "loop-110%\(suffix)", pattern: .loop(length: loop), sizes: sizes, requests: requests, seed: seed))
        }
        return traces
    }

    /// Replays `trace` through the edge policy (striped as `EdgeCache` stripes) and through
    /// one exact LRU of the same total budget; the first tenth of the requests warm both
    /// caches and are not counted. O(requests) shard operations; values are shared, not copied.
    public static func run(_ trace: TraceSpec, configuration: Configuration) -> SimulationResult {
        switch configuration.policy {
        case .production: return run(trace, configuration, edge: EdgePolicy.self)
        case .lru: return run(trace, configuration, edge: LRUPolicy.self)
        case .sieve: return run(trace, configuration, edge: SIEVEPolicy.self)
        case .s3fifo: return run(trace, configuration, edge: S3FIFOPolicy.self)
        }
    }

    private static func run<Edge: EvictionPolicy>(
        _ trace: TraceSpec, _ configuration: Configuration, edge: Edge.Type
    ) -> SimulationResult {
        var striped = ReplayCache<Edge>(capacityBytes: configuration.capacityBytes, stripes: configuration.stripes)
        var global = ReplayCache<LRUPolicy>(capacityBytes: configuration.capacityBytes, stripes: 1)
        var values = ValuePool()
        let warmUp = trace.requests / 10
        var replayed = 0
        var edgeMisses = 0
        var lruMisses = 0
        for request in trace {
            let key = TraceSpec.cacheKey(request.key)
            let counted = replayed >= warmUp
            replayed += 1
            if !striped.request(key, size: request.size, values: &values) && counted { edgeMisses += 1 }
            if !global.request(key, size: request.size, values: &values) && counted { lruMisses += 1 }
        }
        let measured = max(1, replayed - warmUp)
        return SimulationResult(
            trace: trace.name, requests: replayed, measuredRequests: replayed - warmUp,
            capacityBytes: configuration.capacityBytes,
            edgeMissRatio: Double(edgeMisses) / Double(measured),
            lruMissRatio: Double(lruMisses) / Double(measured)
        )
    }
}

/// The simulator's cache: `EdgeShardState`s set up as `EdgeCache` sets up its shards (each
/// stripe `capacity / stripes` bytes, the key's stripe by `CacheKey.stripe(mask:)`), with
/// a get on every request and a set after every miss, as the engine does.
struct ReplayCache<Policy: EvictionPolicy> {
    /// Entries never expire in a replay: TTL plays no part in a hit ratio.
    private static var now: Int64 { 0 }
    private var shards: [EdgeShardState<Policy>]
    private let mask: Int

    /// `stripes` shards of `capacityBytes / stripes` each.
    init(capacityBytes: Int, stripes: Int) {
        shards = Array(repeating: EdgeShardState(budgetBytes: capacityBytes / stripes), count: stripes)
        mask = stripes - 1
    }

    /// True on a hit; on a miss stores a `size`-byte value. O(1) amortised.
    mutating func request(_ key: CacheKey, size: Int, values: inout ValuePool) -> Bool {
        let stripe = key.stripe(mask: mask)
        if shards[stripe].get(key, now: Self.now, countsAsLookup: true) != nil { return true }
        let entry = CacheEntry(value: values.value(size: size), createdAtMillis: Self.now, expiresAtMillis: .max)
        let record = EdgeRecord(key: key, entry: entry, namespaceTag: 0, cost: size + EdgeCache.entryOverheadBytes)
        _ = shards[stripe].set(record, now: Self.now)
        return false
    }
}

/// One shared zero-filled value per size, so a replay allocates per distinct size, not per miss.
struct ValuePool {
    private var bySize: [Int: StoredValue] = [:]

    /// A raw value of `size` bytes. One dictionary probe.
    mutating func value(size: Int) -> StoredValue {
        if let value = bySize[size] { return value }
        let value = StoredValue(bytes: [UInt8](repeating: 0, count: size), encoding: .raw, rawLength: size)
        bySize[size] = value
        return value
    }
}
