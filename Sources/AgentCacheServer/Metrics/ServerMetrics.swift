import AgentCacheCore
import AgentCacheOrigin
import AgentCacheRedis
import NIOConcurrencyHelpers
import Prometheus

/// Every metric the server exports, on its own Prometheus registry (no global bootstrap, so
/// several servers can live in one test process). No tenant or namespace labels: those
/// would make the series count grow with customers.
///
/// Metrics are made on the registry directly, each with its HELP text (`promtool check
/// metrics` clean): swift-metrics' factory registers them without one.
public final class ServerMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry

    /// The buckets of every duration histogram: 50 µs to 5 s, dense where edge hits fall.
    static let durationBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
    ]

    private let hits: [TierName: Counter]
    private let misses: [TierName: Counter]

    private let edgeEntries: Gauge
    private let edgeStoredBytes: Gauge
    private let edgeRawBytes: Gauge
    private let edgePayloadBytes: Gauge
    private let edgeCapacityBytes: Gauge
    private let edgeCompressionRatio: Gauge
    private let edgeEvictions: MirroredCounter
    private let edgeExpirations: MirroredCounter
    private let edgeRejections: MirroredCounter

    private let redisCommands: MirroredCounter
    private let redisErrors: MirroredCounter
    private let redisTimeouts: MirroredCounter
    private let redisRejected: MirroredCounter
    private let redisCorrupt: MirroredCounter
    private let redisPromotions: MirroredCounter
    private let redisUp: Gauge
    private let redisCircuit: [CircuitBreaker.State: Gauge]
    private let redisLatency: DurationHistogram

    private let originFetches: [OriginStatistics.FetchResult: MirroredCounter]
    private let originErrors: [OriginStatistics.ErrorKind: MirroredCounter]
    private let originCoalesced: MirroredCounter
    private let originBytes: MirroredCounter
    private let originStale: MirroredCounter
    private let originFetchDuration: DurationHistogram

    private let tokensSaved: Counter
    private let costSaved: Counter

    private let rateLimited: Counter
    private let fastPathAnswers: Counter
    private let connectionsOpen: Gauge
    private let connectionLimitReached: Counter
    private let requestMetrics = NIOLockedValueBox<[RequestMetricsKey: RequestMetrics]>([:])

    /// HELP of the per-request series, made on first use of a route and status.
    private static let requestsHelp = "HTTP requests answered, by route template, method and status."
    private static let requestDurationHelp = "Time from the request head to the answer, by route template, method and status."

    /// A metric's full name (unit included, as `/metrics` shows it) with its HELP text.
    private static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// Makes the metrics on a fresh registry.
    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        func counter(_ name: String, _ help: String, _ labels: [(String, String)] = []) -> Counter {
            registry.makeCounter(descriptor: Self.descriptor(name, help), labels: labels)
        }
        func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = []) -> Gauge {
            registry.makeGauge(descriptor: Self.descriptor(name, help), labels: labels)
        }
        func mirrored(_ name: String, _ help: String, _ labels: [(String, String)] = []) -> MirroredCounter {
            MirroredCounter(counter(name, help, labels))
        }
        func histogram(_ name: String, _ help: String) -> DurationHistogram {
            registry.makeDurationHistogram(descriptor: Self.descriptor(name, help), labels: [], buckets: Self.durationBuckets)
        }
        var hits: [TierName: Counter] = [:]
        var misses: [TierName: Counter] = [:]
        for tier in TierName.allCases {
            hits[tier] = counter("agentcache_cache_hits_total", "Lookups answered by a tier (edge, redis, origin).", [("tier", tier.rawValue)])
            misses[tier] = counter(
                "agentcache_cache_misses_total",
                "Lookups a tier could not answer; edge misses count every lookup that left the edge.",
                [("tier", tier.rawValue)]
            )
        }
        self.hits = hits
        self.misses = misses
        edgeEntries = gauge("agentcache_edge_entries", "Entries held by the edge tier.")
        let bytesHelp = "Edge tier bytes now: charged (payloads plus per-entry overhead, against --edge-bytes), stored (payloads as kept, LZ4 where it paid), raw (payloads decoded)."
        edgeStoredBytes = gauge("agentcache_edge_bytes", bytesHelp, [("kind", "charged")])
        edgePayloadBytes = gauge("agentcache_edge_bytes", bytesHelp, [("kind", "stored")])
        edgeRawBytes = gauge("agentcache_edge_bytes", bytesHelp, [("kind", "raw")])
        edgeCapacityBytes = gauge("agentcache_edge_capacity_bytes", "The edge tier's byte budget (--edge-bytes).")
        edgeCompressionRatio = gauge("agentcache_edge_compression_ratio", "Raw payload bytes over stored payload bytes in the edge tier.")
        edgeEvictions = mirrored("agentcache_edge_evictions_total", "Live edge entries given up to make room.")
        edgeExpirations = mirrored("agentcache_edge_expirations_total", "Expired edge entries reclaimed (by a lookup, the sweeper or eviction).")
        edgeRejections = mirrored("agentcache_edge_rejections_total", "Values the edge tier refused because they exceed a whole stripe's budget.")
        redisCommands = mirrored("agentcache_redis_commands_total", "Redis commands sent (a pipeline of n commands counts n).")
        redisErrors = mirrored("agentcache_redis_errors_total", "Redis calls that failed because of Redis or the network (connect, I/O, protocol, timeout).")
        redisTimeouts = mirrored("agentcache_redis_timeouts_total", "Redis calls that failed with a command or connect timeout (also counted in errors).")
        redisRejected = mirrored("agentcache_redis_circuit_rejections_total", "Redis calls refused without touching Redis because the circuit breaker was open.")
        redisCorrupt = mirrored("agentcache_redis_corrupt_values_total", "Values read from Redis that failed to decode (treated as misses).")
        redisPromotions = mirrored("agentcache_redis_promotions_total", "Redis hits copied into the edge tier.")
        redisUp = gauge("agentcache_redis_up", "1 when the Redis tier is healthy, else 0.")
        var circuit: [CircuitBreaker.State: Gauge] = [:]
        for state in CircuitBreaker.State.allCases {
            circuit[state] = gauge(
                "agentcache_redis_circuit_state",
                "1 for the Redis circuit breaker's current state (closed, open, half_open), 0 for the others.",
                [("state", state.rawValue)]
            )
        }
        redisCircuit = circuit
        redisLatency = histogram("agentcache_redis_command_duration_seconds", "Redis round-trip time per command.")
        tokensSaved = counter("agentcache_tokens_saved_total", "LLM tokens hits saved: each hit adds the tokens its stored answer cost.")
        costSaved = counter(
            "agentcache_cost_saved_usd_total", "US dollars hits saved: each hit adds what its stored answer cost, priced when it was set."
        )
        rateLimited = counter("agentcache_rate_limited_total", "Requests refused with 429 (rate, concurrency or monthly quota).")
        fastPathAnswers = counter("agentcache_fast_path_answers_total", "Requests answered on the event loop without the router.")
        connectionsOpen = gauge("agentcache_connections_open", "Client connections open now.")
        connectionLimitReached = counter("agentcache_connection_limit_reached_total", "Times --max-connections was reached and accepting paused.")
        var fetches: [OriginStatistics.FetchResult: MirroredCounter] = [:]
        for result in OriginStatistics.FetchResult.allCases {
            fetches[result] = mirrored(
                "agentcache_origin_fetches_total",
                "Origin fetches by result (ok, not_found, pass_through, error).",
                [("result", result.rawValue)]
            )
        }
        originFetches = fetches
        var errors: [OriginStatistics.ErrorKind: MirroredCounter] = [:]
        for kind in OriginStatistics.ErrorKind.allCases {
            errors[kind] = mirrored(
                "agentcache_origin_errors_total",
                "Origin errors by kind (timeout, unavailable, refused, redirect): fetch failures and refused URLs.",
                [("kind", kind.rawValue)]
            )
        }
        originErrors = errors
        originCoalesced = mirrored("agentcache_origin_coalesced_total", "Object requests that waited for another request's origin fetch instead of fetching.")
        originBytes = mirrored("agentcache_origin_bytes_total", "Body bytes read from origins.")
        originStale = mirrored("agentcache_origin_stale_served_total", "Stale copies served because the origin failed.")
        originFetchDuration = histogram("agentcache_origin_fetch_duration_seconds", "Origin fetch time, head to last byte.")
    }

    /// Records one origin fetch's duration (the origin tier's fetch observer).
    public func recordOriginFetch(_ duration: Duration) {
        originFetchDuration.record(duration)
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
        redisLatency.record(latency)
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
        redisUp.set(health.isOK ? 1.0 : 0.0)
        for (state, gauge) in redisCircuit {
            gauge.set(state == health.circuit ? 1.0 : 0.0)
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

    /// Adds what a hit saved (its entry's cost) to the savings counters. Two lock-free atomic
    /// additions; callers skip it for entries without a cost.
    func recordSavings(_ saved: AnswerCost) {
        tokensSaved.increment(by: saved.tokens)
        costSaved.increment(by: saved.dollars)
    }

    /// Counts a request answered by `FastPathHandler` (a buffered route served outside the router).
    func recordFastPathAnswer() { fastPathAnswers.increment() }

    /// Records the connections open now, and one more time the `--max-connections` limit was
    /// reached (accepting paused) when `limitReached`.
    func recordConnections(open: Int, limitReached: Bool) {
        connectionsOpen.set(Int64(open))
        if limitReached { connectionLimitReached.increment() }
    }

    /// Counts one finished request and its duration under its route template and status.
    func recordRequest(route: String, method: String, status: Int, nanoseconds: Int64) {
        let key = RequestMetricsKey(route: route, method: method, status: status)
        let metrics = requestMetrics.withLockedValue { cache in
            if let existing = cache[key] { return existing }
            let labels = [("route", route), ("method", method), ("status", String(status))]
            let made = RequestMetrics(
                count: registry.makeCounter(descriptor: Self.descriptor("agentcache_http_requests_total", Self.requestsHelp), labels: labels),
                duration: registry.makeDurationHistogram(
                    descriptor: Self.descriptor("agentcache_http_request_duration_seconds", Self.requestDurationHelp),
                    labels: labels,
                    buckets: Self.durationBuckets
                )
            )
            cache[key] = made
            return made
        }
        metrics.count.increment()
        metrics.duration.record(.nanoseconds(nanoseconds))
        // 429 is only ever a rate, concurrency or quota refusal (SPEC §5).
        if status == 429 { rateLimited.increment() }
    }

    /// Copies the edge tier's figures into the gauges and counters; called on each scrape.
    public func update(edge statistics: EdgeStatistics) {
        edgeEntries.set(Double(statistics.entries))
        edgeStoredBytes.set(Double(statistics.storedBytes))
        edgePayloadBytes.set(Double(statistics.payloadBytes))
        edgeRawBytes.set(Double(statistics.rawBytes))
        edgeCapacityBytes.set(Double(statistics.capacityBytes))
        edgeCompressionRatio.set(statistics.compressionRatio)
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
    var count: Counter
    var duration: DurationHistogram
}
