import AgentCacheAuth
import AgentCacheCore
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /api/cache/get|set|check|invalidate|explain` with the shapes of SPEC §1, §2 and §4.
/// Handlers only read the body, call the engine and write JSON; rules live in the core.
struct CacheRoutes {
    let engine: CacheEngine
    let metrics: ServerMetrics
    let maxBodyBytes: Int
    /// Checks the key's namespace limit; nil in open mode.
    let authority: KeyAuthority?
    /// Per-tenant hits and misses for `/api/stats`.
    let stats: TenantStats

    func register(on router: Router<AgentCacheRequestContext>) {
        let group = router.group("api/cache")
        group.post("get", use: get)
        group.post("set", use: set)
        group.post("check", use: check)
        group.post("invalidate", use: invalidate)
        group.post("explain", use: explain)
    }

    @Sendable func get(_ request: Request, context: AgentCacheRequestContext) async throws -> Response {
        let started = NIODeadline.now().uptimeNanoseconds
        let body = try await readBody(request)
        let lookup = try body.withUnsafeReadableBytes { (bytes) throws(CacheError) in try CacheRequestParser.lookup(bytes) }
        let namespace = try await namespace(lookup.namespace ?? header(request), context)
        let (key, hit) = await engine.lookup(lookup.fields, in: namespace)

        stats.record(tenant: context.tenant, atMillis: engine.clock.nowMillis(), hit: hit != nil, request: false)
        metrics.recordLookup(hitTier: hit?.tier, remoteTiers: engine.remoteTiers)
        guard let hit else {
            return .json(LookupResponse.missBody(key: key, allocator: ByteBufferAllocator()), headers: [.xCache: "MISS"])
        }
        let answer = LookupResponse.hitBody(hit, key: key, nowMillis: engine.clock.nowMillis(), startedNanos: started, allocator: ByteBufferAllocator())
        return .json(answer, headers: [.xCache: LookupResponse.xCache(hit.tier)])
    }

    @Sendable func set(_ request: Request, context: AgentCacheRequestContext) async throws -> Response {
        let body = try await readBody(request)
        let store = try body.withUnsafeReadableBytes { (bytes) throws(CacheError) in try CacheRequestParser.store(bytes) }
        let namespace = try await namespace(store.namespace ?? header(request), context)
        let stored = await engine.store(
            store.response, for: store.fields, in: namespace, ttlSeconds: store.ttlSeconds,
            maxTTLSeconds: context.admission?.limits.maxTTLSeconds
        )
        var writer = JSONObjectWriter(allocator: ByteBufferAllocator(), capacity: 160)
        writer.field("success", true)
        writer.field("key", ascii: stored.key.hex)
        writer.field("cached_at", ascii: Timestamp.iso8601(millis: stored.entry.createdAtMillis))
        writer.field("ttl", number: stored.ttlSeconds)
        return .json(writer.finish())
    }

    @Sendable func check(_ request: Request, context: AgentCacheRequestContext) async throws -> Response {
        let body = try await readBody(request)
        let lookup = try body.withUnsafeReadableBytes { (bytes) throws(CacheError) in try CacheRequestParser.lookup(bytes) }
        let namespace = try await namespace(lookup.namespace ?? header(request), context)
        let (_, entry) = await engine.check(lookup.fields, in: namespace)
        var writer = JSONObjectWriter(allocator: ByteBufferAllocator(), capacity: 64)
        writer.field("cached", entry != nil)
        writer.field("ttl_remaining", entry?.ttlRemainingSeconds(at: engine.clock.nowMillis()) ?? 0)
        return .json(writer.finish())
    }

    @Sendable func invalidate(_ request: Request, context: AgentCacheRequestContext) async throws -> Response {
        let body = try await readBody(request)
        let command = try body.withUnsafeReadableBytes { (bytes) throws(CacheError) in try CacheRequestParser.invalidate(bytes) }
        let clientNamespace = command.namespace ?? header(request)
        let namespace = try await namespace(clientNamespace, context)
        var writer = JSONObjectWriter(allocator: ByteBufferAllocator(), capacity: 160)
        writer.field("success", true)
        writer.field("namespace", ascii: namespace.name)
        if let fields = command.fields {
            let (key, removed) = await engine.delete(fields, in: namespace)
            writer.field("generation", await engine.generation(of: namespace))
            writer.field("key", ascii: key.hex)
            writer.field("deleted", removed)
        } else {
            guard clientNamespace != nil else {
                throw CacheError.invalidRequest(
                    "name the namespace to invalidate in the body (\"namespace\") or the X-Cache-Namespace header, or send the get fields to delete one entry"
                )
            }
            writer.field("generation", await engine.invalidate(namespace))
        }
        return .json(writer.finish())
    }

    @Sendable func explain(_ request: Request, context: AgentCacheRequestContext) async throws -> Response {
        let body = try await readBody(request)
        let lookup = try body.withUnsafeReadableBytes { (bytes) throws(CacheError) in try CacheRequestParser.lookup(bytes) }
        let namespace = try await namespace(lookup.namespace ?? header(request), context)
        let material = await engine.keyMaterial(for: lookup.fields, in: namespace)
        var writer = JSONObjectWriter(allocator: ByteBufferAllocator(), capacity: material.bytes.count * 3 + 512)
        writer.field("key", ascii: material.key.hex)
        writer.field("algorithm", ascii: "XXH3-128")
        writer.field("namespace", ascii: namespace.name)
        writer.field("qualified_namespace", ascii: namespace.qualified)
        writer.array("fields", material.spans) { field, span in
            let value = material.value(of: span)
            field.field("field", ascii: span.field.name)
            field.field("length", value.count)
            if span.field == .generation {
                field.field("canonical", value.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            } else {
                field.field("canonical", string: String(decoding: value, as: UTF8.self))
            }
        }
        writer.field("encoding_hex", ascii: Hex.encode(material.bytes))
        writer.field("encoding_length", material.bytes.count)
        return .json(writer.finish())
    }

    private func readBody(_ request: Request) async throws -> ByteBuffer {
        try await request.collectBody(upTo: maxBodyBytes)
    }

    /// The tenant namespace for `clientNamespace`, after the key's namespace limit allows it.
    private func namespace(_ clientNamespace: String?, _ context: AgentCacheRequestContext) async throws -> CacheNamespace {
        try await TenantNamespace.resolve(clientNamespace, context: context, authority: authority)
    }

    private func header(_ request: Request) -> String? {
        request.headers[.xCacheNamespace]
    }
}
