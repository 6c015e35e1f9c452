import Foundation
import HTTPTypes
import Testing

/// SPEC §6: `/health`, `/monitoring/health` and `/metrics`.
@Suite("Operations routes: health and metrics")
struct OperationsRoutesTests {
    @Test("health answers {status: ok, tiers: {edge, redis, origin}, uptime_s}", arguments: ["/health", "/monitoring/health"])
    func healthShape(path: String) async throws {
        try await withTestServer { api in
            let reply = try await api.request(path)
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType]?.hasPrefix("application/json") == true)
            let json = try reply.object()
            #expect(json["status"] as? String == "ok")
            let tiers = try #require(json["tiers"] as? [String: Any])
            #expect(Set(tiers.keys).isSuperset(of: ["edge", "redis", "origin"]))
            let edge = try #require(tiers["edge"] as? [String: Any])
            #expect(edge["status"] as? String == "ok")
            #expect(edge["entries"] as? Int == 0)
            #expect(tiers["redis"] != nil && tiers["origin"] != nil)
            let uptime = try #require(number(json["uptime_s"]), "uptime_s must be a number")
            #expect(uptime >= 0)
        }
    }

    @Test("health is not cached by intermediaries (Cache-Control: no-store)")
    func healthNoStore() async throws {
        try await withTestServer { api in
            let health = try await api.request("/health")
            let metrics = try await api.request("/metrics")
            #expect(health.headers[.cacheControl] == "no-store")
            #expect(metrics.headers[.cacheControl] == "no-store")
        }
    }

    @Test("health's edge tier counts entries and reports the configured capacity")
    func healthCountsEntries() async throws {
        try await withTestServer(configure: { $0.edge.capacityBytes = 8 << 20 }) { api in
            _ = try await api.set(Body.set(content: "a", response: "1"))
            _ = try await api.set(Body.set(content: "b", response: "2"))
            let json = try await api.request("/monitoring/health").object()
            let edge = try #require((json["tiers"] as? [String: Any])?["edge"] as? [String: Any])
            #expect(edge["entries"] as? Int == 2)
            #expect(edge["capacity_bytes"] as? Int == 8 << 20)
            #expect((edge["bytes"] as? Int ?? 0) > 0)
        }
    }

    @Test("metrics is Prometheus text with the hit, miss, request and edge-entry series")
    func metricsSeries() async throws {
        try await withTestServer { api in
            _ = try await api.get(Body.chat())                       // miss
            _ = try await api.set(Body.set(response: "1"))
            _ = try await api.get(Body.chat())                       // hit
            _ = try await api.get(Body.chat())                       // hit
            let reply = try await api.request("/metrics")
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType]?.hasPrefix("text/plain") == true)
            let metrics = PrometheusText(reply.text)
            #expect(reply.text.contains("# TYPE agentcache_cache_hits_total counter"))
            #expect(reply.text.contains("# TYPE agentcache_cache_misses_total counter"))
            #expect(reply.text.contains("# TYPE agentcache_http_requests_total counter"))
            #expect(reply.text.contains("# TYPE agentcache_edge_entries gauge"))
            #expect(metrics.value(of: "agentcache_cache_hits_total", labels: ["tier": "edge"]) == 2)
            #expect(metrics.value(of: "agentcache_cache_misses_total", labels: ["tier": "edge"]) == 1)
            #expect(metrics.value(of: "agentcache_edge_entries") == 1)
            #expect(metrics.all("agentcache_cache_hits_total").count >= 1)
        }
    }

    @Test("every sample line of /metrics is well-formed Prometheus text")
    func metricsWellFormed() async throws {
        try await withTestServer { api in
            _ = try await api.set(Body.set(response: "1"))
            _ = try await api.get(Body.chat())
            let metrics = try await api.metrics()
            #expect(!metrics.samples.isEmpty)
            for line in metrics.samples {
                #expect(PrometheusText.parse(line) != nil, "unparseable sample: \(line)")
                #expect(line.hasPrefix("agentcache_"), "unexpected metric: \(line)")
            }
        }
    }

    @Test("agentcache_http_requests_total carries the route template, method and status")
    func requestsByRoute() async throws {
        try await withTestServer { api in
            _ = try await api.get(Body.chat())
            _ = try await api.get(Body.chat())
            _ = try await api.set(Body.set(response: "1"))
            _ = try await api.get("{")
            let metrics = try await api.metrics()
            let series = metrics.all("agentcache_http_requests_total")
            let getOK = series.first { $0.labels["route"] == "/api/cache/get" && $0.labels["status"] == "200" }
            #expect(getOK?.value == 2)
            #expect(getOK?.labels["method"] == "POST")
            let getBad = series.first { $0.labels["route"] == "/api/cache/get" && $0.labels["status"] == "400" }
            #expect(getBad?.value == 1)
            let setOK = series.first { $0.labels["route"] == "/api/cache/set" && $0.labels["status"] == "200" }
            #expect(setOK?.value == 1)
            #expect(series.allSatisfy { $0.labels["route"] != nil })
        }
    }

    @Test("/metrics has no namespace or tenant labels, whatever namespaces were used")
    func noNamespaceLabels() async throws {
        try await withTestServer { api in
            for name in ["secret_customer_ns_1", "secret_customer_ns_2"] {
                _ = try await api.set(Body.set(response: "1"), headers: namespaceHeader(name))
                _ = try await api.get(Body.chat(), headers: namespaceHeader(name))
                _ = try await api.invalidate(#"{"namespace":"\#(name)"}"#)
            }
            let text = try await api.metrics().text
            #expect(!text.contains("namespace="))
            #expect(!text.contains("tenant="))
            #expect(!text.contains("secret_customer_ns"))
        }
    }

    @Test("unknown paths do not add a metrics series per path (fixed route label)")
    func unknownPathsBounded() async throws {
        try await withTestServer { api in
            for index in 0..<5 {
                _ = try await api.request("/probe-\(index)-zzqx")
            }
            let metrics = try await api.metrics()
            #expect(!metrics.text.contains("zzqx"))
            let notFound = metrics.all("agentcache_http_requests_total").filter { $0.labels["status"] == "404" }
            #expect(notFound.count == 1)
            #expect(notFound.first?.value == 5)
        }
    }

    @Test("a hit counted once per get, never by check, set, explain or invalidate")
    func hitAccounting() async throws {
        try await withTestServer { api in
            _ = try await api.set(Body.set(response: "1"))
            _ = try await api.check(Body.chat())
            _ = try await api.explain(Body.chat())
            _ = try await api.invalidate(#"{"namespace":"other"}"#)
            #expect(try await api.edgeHits() == 0)
            #expect(try await api.edgeMisses() == 0)
            _ = try await api.get(Body.chat())
            #expect(try await api.edgeHits() == 1)
        }
    }
}
