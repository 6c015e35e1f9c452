import AgentCacheCore
import AgentCacheOrigin
import AgentCacheRedis
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /health`, `/monitoring/health` and `/metrics` (SPEC §6).
struct OperationsRoutes {
    let parts: AgentCacheServer.Parts
    let startedAt: NIODeadline

    private var engine: CacheEngine { parts.engine }
    private var metrics: ServerMetrics { parts.metrics }

    func register(on routes: RouteTable.Builder) {
        routes.add(.get, "/health", .public, health)
        routes.add(.get, "/monitoring/health", .public, health)
        routes.add(.get, "/metrics", .public, prometheus)
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

    @Sendable func prometheus(_ request: Request, context: AgentCacheRequestContext, caller: Caller) async throws -> Response {
        metrics.update(edge: engine.edge.statistics())
        if let redis = parts.redis {
            metrics.update(redis: redis.tier, promotions: engine.promotions)
        }
        if let origin = parts.origin {
            metrics.update(origin: origin.statistics)
        }
        let text = metrics.render()
        var buffer = ByteBufferAllocator().buffer(capacity: text.count)
        buffer.writeBytes(text)
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: buffer)
        )
    }
}
