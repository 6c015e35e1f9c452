import NIOCore

/// The body of `GET /api/metrics/summary`: the node-wide figures the dashboard draws, read
/// back from the exposition `/metrics` renders (`PrometheusSamples`), so both always agree and
/// no second set of counters exists. Counters are totals since the process started; the page
/// turns successive polls into rates.
///
/// Shape (every count a number; `null` where a figure does not exist on this node):
/// `{uptime_ms, api_keys, connections_open,
///   requests: {total, served, errors_5xx, rate_limited},
///   cache: {lookups, hits, misses, hit_ratio (0...1 | null), hits_by_tier: {edge, redis, origin},
///           misses_by_tier: {edge, redis, origin}},
///   latency_ms: {routes: "/api/cache/*", count, p50, p99, le_ms: [bounds], counts: [cumulative, +Inf last]},
///   edge: {entries, bytes, capacity_bytes, stored_bytes, raw_bytes, compression_ratio, evictions, expirations, rejections},
///   redis: {enabled, up, circuit ("closed"|"open"|"half_open"|null), errors, timeouts, circuit_rejections, promotions},
///   origin: {enabled, fetches: {ok, not_found, pass_through, error}, errors, coalesced, stale_served, bytes},
///   savings: {tokens_saved, cost_saved_usd}}`.
/// Cost: one render of the registry and one pass over its lines (a few hundred), per poll.
struct MetricsSummary {
    /// The route templates whose requests are traffic served by the cache's API, for latency.
    static let latencyRoutePrefix = "/api/cache/"

    let samples: PrometheusSamples
    /// Route templates of the operations surface (health, metrics, dashboard, this summary):
    /// left out of `requests.served`, so the dashboard's own polling does not count as traffic.
    let operationsRoutes: Set<String>

    /// The summary; `uptimeMilliseconds` (monotonic) lets the page divide counter deltas by the
    /// server's own time between two polls.
    func json(uptimeMilliseconds: Int64, apiKeys: Bool, redisEnabled: Bool, originEnabled: Bool) -> ByteBuffer {
        let samples = self.samples
        func count(_ name: String, _ labels: [String: String] = [:]) -> Double { samples.sum(name, labels) ?? 0 }
        var writer = JSONObjectWriter(allocator: ByteBufferAllocator(), capacity: 2048)
        writer.field("uptime_ms", uptimeMilliseconds)
        writer.field("api_keys", apiKeys)
        writer.field("connections_open", number: count("agentcache_connections_open"))

        let requests = "agentcache_http_requests_total"
        writer.object("requests") { object in
            object.field("total", number: count(requests))
            object.field("served", number: samples.sum(requests) { !operationsRoutes.contains($0["route"] ?? "") } ?? 0)
            object.field("errors_5xx", number: samples.sum(requests) { $0["status"]?.hasPrefix("5") == true } ?? 0)
            object.field("rate_limited", number: count("agentcache_rate_limited_total"))
        }

        let hits = "agentcache_cache_hits_total"
        let misses = "agentcache_cache_misses_total"
        // Every lookup starts at the edge: it is an edge hit or an edge miss.
        let lookups = count(hits, ["tier": "edge"]) + count(misses, ["tier": "edge"])
        let hitCount = count(hits)
        writer.object("cache") { object in
            object.field("lookups", number: lookups)
            object.field("hits", number: hitCount)
            object.field("misses", number: lookups - hitCount)
            object.optional("hit_ratio", lookups > 0 ? hitCount / lookups : nil)
            object.object("hits_by_tier") { tiers in
                tiers.field("edge", number: count(hits, ["tier": "edge"]))
                tiers.field("redis", number: count(hits, ["tier": "redis"]))
                tiers.field("origin", number: count(hits, ["tier": "origin"]))
            }
            object.object("misses_by_tier") { tiers in
                tiers.field("edge", number: count(misses, ["tier": "edge"]))
                tiers.field("redis", number: count(misses, ["tier": "redis"]))
                tiers.field("origin", number: count(misses, ["tier": "origin"]))
            }
        }

        let latency = samples.histogram("agentcache_http_request_duration_seconds") {
            $0["route"]?.hasPrefix(Self.latencyRoutePrefix) == true
        }
        writer.object("latency_ms") { object in
            object.field("routes", ascii: Self.latencyRoutePrefix + "*")
            object.field("count", number: latency.count)
            object.optional("p50", latency.quantile(0.5).map { $0 * 1000 })
            object.optional("p99", latency.quantile(0.99).map { $0 * 1000 })
            object.field("le_ms", numbers: latency.buckets.filter { $0.upperBound.isFinite }.map { $0.upperBound * 1000 })
            object.field("counts", numbers: latency.buckets.map(\.count))
        }

        writer.object("edge") { object in
            object.field("entries", number: count("agentcache_edge_entries"))
            object.field("bytes", number: count("agentcache_edge_bytes", ["kind": "charged"]))
            object.field("capacity_bytes", number: count("agentcache_edge_capacity_bytes"))
            object.field("stored_bytes", number: count("agentcache_edge_bytes", ["kind": "stored"]))
            object.field("raw_bytes", number: count("agentcache_edge_bytes", ["kind": "raw"]))
            object.field("compression_ratio", number: samples.sum("agentcache_edge_compression_ratio") ?? 1)
            object.field("evictions", number: count("agentcache_edge_evictions_total"))
            object.field("expirations", number: count("agentcache_edge_expirations_total"))
            object.field("rejections", number: count("agentcache_edge_rejections_total"))
        }

        writer.object("redis") { object in
            object.field("enabled", redisEnabled)
            if redisEnabled {
                object.field("up", count("agentcache_redis_up") == 1)
                object.optional("circuit", string: samples.activeState("agentcache_redis_circuit_state", label: "state"))
            } else {
                object.null("up")
                object.null("circuit")
            }
            object.field("errors", number: count("agentcache_redis_errors_total"))
            object.field("timeouts", number: count("agentcache_redis_timeouts_total"))
            object.field("circuit_rejections", number: count("agentcache_redis_circuit_rejections_total"))
            object.field("promotions", number: count("agentcache_redis_promotions_total"))
        }

        let fetches = "agentcache_origin_fetches_total"
        writer.object("origin") { object in
            object.field("enabled", originEnabled)
            object.object("fetches") { results in
                results.field("ok", number: count(fetches, ["result": "ok"]))
                results.field("not_found", number: count(fetches, ["result": "not_found"]))
                results.field("pass_through", number: count(fetches, ["result": "pass_through"]))
                results.field("error", number: count(fetches, ["result": "error"]))
            }
            object.field("errors", number: count("agentcache_origin_errors_total"))
            object.field("coalesced", number: count("agentcache_origin_coalesced_total"))
            object.field("stale_served", number: count("agentcache_origin_stale_served_total"))
            object.field("bytes", number: count("agentcache_origin_bytes_total"))
        }

        // What hits saved: each adds its entry's cost, decided when it was set (SPEC §8).
        writer.object("savings") { object in
            object.optional("tokens_saved", samples.sum("agentcache_tokens_saved_total"))
            object.optional("cost_saved_usd", samples.sum("agentcache_cost_saved_usd_total"))
        }
        return writer.finish()
    }
}

extension JSONObjectWriter {
    /// `"name":<number>`, or `"name":null` when `value` is nil.
    fileprivate mutating func optional(_ name: StaticString, _ value: Double?) {
        if let value { field(name, number: value) } else { null(name) }
    }

    /// `"name":"<value>"`, or `"name":null` when `value` is nil.
    fileprivate mutating func optional(_ name: StaticString, string value: String?) {
        if let value { field(name, string: value) } else { null(name) }
    }
}
