import AgentCacheCore
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /health`, `/monitoring/health` and `/metrics` (SPEC §6).
struct OperationsRoutes {
    let engine: CacheEngine
    let metrics: ServerMetrics
    let startedAt: NIODeadline

    func register(on router: Router<AgentCacheRequestContext>) {
        router.get("health", use: health)
        router.get("monitoring/health", use: health)
        router.get("metrics", use: prometheus)
    }

    @Sendable func health(_ request: Request, context: AgentCacheRequestContext) async throws -> Response {
        let edge = engine.edge.statistics()
        var writer = JSONObjectWriter(allocator: ByteBufferAllocator(), capacity: 384)
        writer.field("status", ascii: "ok")
        writer.object("tiers") { tiers in
            tiers.object("edge") { tier in
                tier.field("status", ascii: "ok")
                tier.field("entries", edge.entries)
                tier.field("bytes", edge.storedBytes)
                tier.field("capacity_bytes", edge.capacityBytes)
                tier.field("stripes", engine.edge.configuration.stripes)
            }
            tiers.object("redis") { tier in tier.field("status", ascii: "disabled") }
            tiers.object("origin") { tier in tier.field("status", ascii: "disabled") }
        }
        writer.field("uptime_s", (NIODeadline.now() - startedAt).nanoseconds / 1_000_000_000)
        return .json(writer.finish(), headers: [.cacheControl: "no-store"])
    }

    @Sendable func prometheus(_ request: Request, context: AgentCacheRequestContext) async throws -> Response {
        metrics.update(edge: engine.edge.statistics())
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
