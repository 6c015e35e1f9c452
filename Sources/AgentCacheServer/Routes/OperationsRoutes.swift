import AgentCacheCore
import AgentCacheOrigin
import AgentCacheRedis
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /health`, `/monitoring/health`, `/metrics`, `/api/metrics/summary`, `/dashboard` and
/// `/openapi.json` (SPEC §6). All public.
///
/// `/api/metrics/summary` is public like `/metrics` on purpose: it is the same node-wide
/// figures (no tenant, namespace or key in either), so guarding one and not the other would
/// hide nothing, and guarding both with the admin token would hand a Prometheus scraper the
/// power to mint keys. Who may see operator figures is decided where the port is reachable
/// (`--host`, the firewall, the load balancer); tenant figures stay behind a key (`/api/stats`).
struct OperationsRoutes {
    let parts: AgentCacheServer.Parts
    let startedAt: NIODeadline

    private var engine: CacheEngine { parts.engine }
    private var metrics: ServerMetrics { parts.metrics }

    private typealias Handler = @Sendable (Request, AgentCacheRequestContext, Caller) async throws -> Response

    /// The routes registered here, all `GET` and public.
    private var table: [(path: String, handler: Handler)] {
        [
            ("/health", health),
            ("/monitoring/health", health),
            ("/metrics", prometheus),
            ("/api/metrics/summary", summary),
            ("/dashboard", dashboard),
            ("/openapi.json", openAPI),
        ]
    }

    func register(on routes: RouteTable.Builder) {
        for route in table {
            routes.add(.get, route.path, .public, route.handler)
        }
    }

    @Sendable func health(_ request: Request, context: AgentCacheRequestContext, caller: Caller) async throws -> Response {
        let edge = engine.edge.statistics()
        let redis = parts.redis?.tier.health
        var writer = JSONObjectWriter(allocator: ByteBufferAllocator(), capacity: 512)
        // Degraded still answers 200: the node serves (fail-open), it just serves less.
        writer.field("status", ascii: redis.map { $0.isOK ? "ok" : "degraded" } ?? "ok")
        writer.object("tiers") { tiers in
            tiers.object("edge") { tier in
                tier.field("status", ascii: "ok")
                tier.field("entries", edge.entries)
                tier.field("bytes", edge.storedBytes)
                tier.field("capacity_bytes", edge.capacityBytes)
                tier.field("stripes", engine.edge.configuration.stripes)
            }
            tiers.object("redis") { tier in
                guard let redis else {
                    tier.field("status", ascii: "disabled")
                    return
                }
                tier.field("status", ascii: redis.isOK ? "ok" : "degraded")
                if let reason = redis.reason { tier.field("reason", string: reason) }
                tier.field("circuit", ascii: redis.circuit.rawValue)
            }
            tiers.object("origin") { tier in
                guard let origin = parts.origin else {
                    tier.field("status", ascii: "disabled")
                    return
                }
                tier.field("status", ascii: "ok")
                if let endpoint = origin.configuration.endpoint { tier.field("endpoint", string: endpoint.host) }
            }
        }
        writer.field("uptime_s", (NIODeadline.now() - startedAt).nanoseconds / 1_000_000_000)
        return .json(writer.finish(), headers: [.cacheControl: "no-store"])
    }

    /// Copies the tiers' own totals into the registry, then renders it.
    private func renderMetrics() -> [UInt8] {
        metrics.update(edge: engine.edge.statistics())
        if let redis = parts.redis {
            metrics.update(redis: redis.tier, promotions: engine.promotions)
        }
        if let origin = parts.origin {
            metrics.update(origin: origin.statistics)
        }
        return metrics.render()
    }

    @Sendable func prometheus(_ request: Request, context: AgentCacheRequestContext, caller: Caller) async throws -> Response {
        let text = renderMetrics()
        var buffer = ByteBufferAllocator().buffer(capacity: text.count)
        buffer.writeBytes(text)
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: buffer)
        )
    }

    /// The dashboard's feed: `/metrics` read back into one JSON object (`MetricsSummary`).
    @Sendable func summary(_ request: Request, context: AgentCacheRequestContext, caller: Caller) async throws -> Response {
        let summary = MetricsSummary(
            samples: PrometheusSamples(text: renderMetrics()),
            operationsRoutes: Set(table.map(\.path))
        )
        let body = summary.json(
            uptimeMilliseconds: (NIODeadline.now() - startedAt).nanoseconds / 1_000_000,
            apiKeys: parts.auth != nil,
            redisEnabled: parts.redis != nil,
            originEnabled: parts.origin != nil
        )
        return .json(body, headers: [.cacheControl: "no-store"])
    }

    /// The page (`DashboardPage`): self-contained, so its policy forbids loading anything but
    /// its own API calls.
    @Sendable func dashboard(_ request: Request, context: AgentCacheRequestContext, caller: Caller) async throws -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .cacheControl: "no-cache",
                .contentSecurityPolicy: DashboardPage.contentSecurityPolicy,
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                HTTPField.Name("Referrer-Policy")!: "no-referrer",
            ],
            body: ResponseBody(byteBuffer: DashboardPage.body)
        )
    }

    /// The OpenAPI 3.1 document of every route (`OpenAPIDocument`, from docs/openapi.yaml).
    @Sendable func openAPI(_ request: Request, context: AgentCacheRequestContext, caller: Caller) async throws -> Response {
        .json(OpenAPIDocument.body, headers: [.cacheControl: "no-cache"])
    }
}
