import AgentCacheCore
import AgentCacheOrigin
import AgentCacheRedis
import CoreMetrics
import NIOConcurrencyHelpers
import Prometheus

/// Every metric the server exports, on its own Prometheus registry (no global bootstrap, so
/// several servers can live in one test process). No tenant or namespace labels: those
/// would make the series count grow with customers.
public final class ServerMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    private let hits: [TierName: CoreMetrics.Counter]
    private let misses: [TierName: CoreMetrics.Counter]

    private let edgeEntries: CoreMetrics.Gauge
    private let edgeStoredBytes: CoreMetrics.Gauge
    private let edgeRawBytes: CoreMetrics.Gauge
    private let edgePayloadBytes: CoreMetrics.Gauge
    private let edgeCapacityBytes: CoreMetrics.Gauge
    private let edgeCompressionRatio: CoreMetrics.Gauge
    private let edgeEvictions: MirroredCounter
    private let edgeExpirations: MirroredCounter
    private let edgeRejections: MirroredCounter

    private let redisCommands: MirroredCounter
    private let redisErrors: MirroredCounter
    private let redisTimeouts: MirroredCounter
    private let redisRejected: MirroredCounter
    private let redisCorrupt: MirroredCounter
    private let redisPromotions: MirroredCounter
    private let redisUp: CoreMetrics.Gauge
    private let redisCircuit: [CircuitBreaker.State: CoreMetrics.Gauge]
    private let redisLatency: CoreMetrics.Timer

    private let originFetches: [OriginStatistics.FetchResult: MirroredCounter]
    private let originErrors: [OriginStatistics.ErrorKind: MirroredCounter]
    private let originCoalesced: MirroredCounter
    private let originBytes: MirroredCounter
    private let originStale: MirroredCounter
    private let originFetchDuration: CoreMetrics.Timer

    private let rateLimited: CoreMetrics.Counter
    private let fastPathAnswers: CoreMetrics.Counter
    private let connectionsOpen: CoreMetrics.Gauge
    private let connectionLimitReached: CoreMetrics.Counter
    private let requestMetrics = NIOLockedValueBox<[RequestMetricsKey: RequestMetrics]>([:])

    /// Makes the metrics on a fresh registry.
    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
            .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
        ]
        self.registry = registry
        self.factory = factory
        var hits: [TierName: CoreMetrics.Counter] = [:]
        var misses: [TierName: CoreMetrics.Counter] = [:]
        for tier in TierName.allCases {
            hits[tier] = CoreMetrics.Counter(label: "agentcache_cache_hits_total", dimensions: [("tier", tier.rawValue)], factory: factory)
            misses[tier] = CoreMetrics.Counter(label: "agentcache_cache_misses_total", dimensions: [("tier", tier.rawValue)], factory: factory)
        }
        self.hits = hits
        self.misses = misses
        edgeEntries = CoreMetrics.Gauge(label: "agentcache_edge_entries", factory: factory)
        edgeStoredBytes = CoreMetrics.Gauge(label: "agentcache_edge_bytes", dimensions: [("kind", "charged")], factory: factory)
        edgePayloadBytes = CoreMetrics.Gauge(label: "agentcache_edge_bytes", dimensions: [("kind", "stored")], factory: factory)
        edgeRawBytes = CoreMetrics.Gauge(label: "agentcache_edge_bytes", dimensions: [("kind", "raw")], factory: factory)
        edgeCapacityBytes = CoreMetrics.Gauge(label: "agentcache_edge_capacity_bytes", factory: factory)
        edgeCompressionRatio = CoreMetrics.Gauge(label: "agentcache_edge_compression_ratio", factory: factory)
        func mirrored(_ label: String) -> MirroredCounter {
            MirroredCounter(CoreMetrics.Counter(label: label, factory: factory))
        }
        edgeEvictions = mirrored("agentcache_edge_evictions_total")
        edgeExpirations = mirrored("agentcache_edge_expirations_total")
        edgeRejections = mirrored("agentcache_edge_rejections_total")
        redisCommands = mirrored("agentcache_redis_commands_total")
        redisErrors = mirrored("agentcache_redis_errors_total")
        redisTimeouts = mirrored("agentcache_redis_timeouts_total")
        redisRejected = mirrored("agentcache_redis_circuit_rejections_total")
        redisCorrupt = mirrored("agentcache_redis_corrupt_values_total")
        redisPromotions = mirrored("agentcache_redis_promotions_total")
        redisUp = CoreMetrics.Gauge(label: "agentcache_redis_up", factory: factory)
        var circuit: [CircuitBreaker.State: CoreMetrics.Gauge] = [:]
        for state in CircuitBreaker.State.allCases {
            circuit[state] = CoreMetrics.Gauge(label: "agentcache_redis_circuit_state", dimensions: [("state", state.rawValue)], factory: factory)
        }
        redisCircuit = circuit
        redisLatency = CoreMetrics.Timer(label: "agentcache_redis_command_duration_seconds", factory: factory)
        rateLimited = CoreMetrics.Counter(label: "agentcache_rate_limited_total", factory: factory)
        fastPathAnswers = CoreMetrics.Counter(label: "agentcache_fast_path_answers_total", factory: factory)
        connectionsOpen = CoreMetrics.Gauge(label: "agentcache_connections_open", factory: factory)
        connectionLimitReached = CoreMetrics.Counter(label: "agentcache_connection_limit_reached_total", factory: factory)
        var fetches: [OriginStatistics.FetchResult: MirroredCounter] = [:]
        for result in OriginStatistics.FetchResult.allCases {
            fetches[result] = MirroredCounter(
                CoreMetrics.Counter(label: "agentcache_origin_fetches_total", dimensions: [("result", result.rawValue)], factory: factory)
            )
        }
        originFetches = fetches
        var errors: [OriginStatistics.ErrorKind: MirroredCounter] = [:]
        for kind in OriginStatistics.ErrorKind.allCases {
            errors[kind] = MirroredCounter(
                CoreMetrics.Counter(label: "agentcache_origin_errors_total", dimensions: [("kind", kind.rawValue)], factory: factory)
            )
        }
        originErrors = errors
        originCoalesced = mirrored("agentcache_origin_coalesced_total")
        originBytes = mirrored("agentcache_origin_bytes_total")
        originStale = mirrored("agentcache_origin_stale_served_total")
        originFetchDuration = CoreMetrics.Timer(label: "agentcache_origin_fetch_duration_seconds", factory: factory)
    }

    /// Records one origin fetch's duration (the origin tier's fetch observer).
    public func recordOriginFetch(_ duration: Duration) {
        originFetchDuration.recordNanoseconds(duration.nanoseconds)
    }

    /// Copies the origin tier's totals into the metrics; called on each scrape.
    func update(origin statistics: OriginStatistics) {
        for (result, counter) in originFetches { counter.mirror(statistics.fetches(result)) }
        for (kind, counter) in originErrors { counter.mirror(statistics.errors(kind)) }
        originCoalesced.mirror(statistics.coalesced)
        originBytes.mirror(statistics.bytes)
        originStale.mirror(statistics.staleServed)
    }

    /// Records one Redis round trip's latency (the client's latency observer).
    public func recordRedisLatency(_ latency: Duration) {
        redisLatency.recordNanoseconds(latency.nanoseconds)
    }

    /// Copies the Redis tier's figures into the metrics; called on each scrape.
    func update(redis: RedisTier, promotions: UInt64) {
        let client = redis.client.statistics
        let tier = redis.statistics
        let health = redis.health
        redisCommands.mirror(client.commands)
        redisErrors.mirror(client.errors)
        redisTimeouts.mirror(client.timeouts)
        redisRejected.mirror(client.rejected)
        redisCorrupt.mirror(tier.corrupt)
        redisPromotions.mirror(promotions)
        redisUp.record(health.isOK ? 1 : 0)
        for (state, gauge) in redisCircuit {
            gauge.record(state == health.circuit ? 1 : 0)
        }
    }

    /// Counts a hit answered by `tier`.
    public func recordHit(tier: TierName) { hits[tier]?.increment() }

    /// Counts a miss at `tier` (the request went on to the next tier, or missed entirely).
    public func recordMiss(tier: TierName) { misses[tier]?.increment() }

    /// Counts one chat lookup through `remoteTiers` behind the edge: a miss at every tier
    /// consulted before the one that answered (`hitTier`, nil when none did) and its hit.
    func recordLookup(hitTier: TierName?, remoteTiers: [any CacheTier]) {
        if hitTier == .edge {
            recordHit(tier: .edge)
            return
        }
        recordMiss(tier: .edge)
        for tier in remoteTiers {
            if tier.name == hitTier {
                recordHit(tier: tier.name)
                return
            }
            recordMiss(tier: tier.name)
        }
    }

    /// Counts a request answered by `FastPathHandler` (a buffered route served outside the router).
    func recordFastPathAnswer() { fastPathAnswers.increment() }

    /// Records the connections open now, and one more time the `--max-connections` limit was
    /// reached (accepting paused) when `limitReached`.
    func recordConnections(open: Int, limitReached: Bool) {
        connectionsOpen.record(open)
        if limitReached { connectionLimitReached.increment() }
    }

    /// Counts one finished request and its duration under its route template and status.
    func recordRequest(route: String, method: String, status: Int, nanoseconds: Int64) {
        let key = RequestMetricsKey(route: route, method: method, status: status)
        let metrics = requestMetrics.withLockedValue { cache in
            if let existing = cache[key] { return existing }
            let dimensions = [("route", route), ("method", method), ("status", String(status))]
            let made = RequestMetrics(
                count: CoreMetrics.Counter(label: "agentcache_http_requests_total", dimensions: dimensions, factory: factory),
                duration: CoreMetrics.Timer(label: "agentcache_http_request_duration_seconds", dimensions: dimensions, factory: factory)
            )
            cache[key] = made
            return made
        }
        metrics.count.increment()
        metrics.duration.recordNanoseconds(nanoseconds)
        // 429 is only ever a rate, concurrency or quota refusal (SPEC §5).
        if status == 429 { rateLimited.increment() }
    }

    /// Copies the edge tier's figures into the gauges and counters; called on each scrape.
    public func update(edge statistics: EdgeStatistics) {
        edgeEntries.record(statistics.entries)
        edgeStoredBytes.record(statistics.storedBytes)
        edgePayloadBytes.record(statistics.payloadBytes)
        edgeRawBytes.record(statistics.rawBytes)
        edgeCapacityBytes.record(statistics.capacityBytes)
        edgeCompressionRatio.record(statistics.compressionRatio)
        edgeEvictions.mirror(statistics.evictions)
        edgeExpirations.mirror(statistics.expirations)
        edgeRejections.mirror(statistics.rejections)
    }

    /// The Prometheus text exposition of every metric.
    public func render() -> [UInt8] {
        var bytes = [UInt8]()
        registry.emit(into: &bytes)
        return bytes
    }
}

private struct RequestMetricsKey: Hashable {
    var route: String
    var method: String
    var status: Int
}

private struct RequestMetrics: Sendable {
    var count: CoreMetrics.Counter
    var duration: CoreMetrics.Timer
}
