import AgentCacheAuth
import AgentCacheCore
import HTTPTypes
import NIOCore

/// `POST /api/cache/get|set|check|invalidate|explain` with the shapes of SPEC §1, §2 and §4,
/// as buffered routes: the same code answers on the event loop and from the router.
/// Handlers only read the body, call the engine and write JSON; rules live in the core.
final class CacheRoutes: Sendable {
    // A class: every step of a request captures the routes, and a reference is one retain.
    let engine: CacheEngine
    let metrics: ServerMetrics
    /// Per-tenant and per-namespace lookups and savings for `/api/stats`.
    let stats: TenantStats
    /// Namespaces and their limits.
    let gate: Access
    /// Prices a set's answer when it does not declare its cost (`AnswerCost`).
    let prices: PriceTable
    /// Request bytes already resolved to keys, shared by every connection.
    let memo = LookupMemo()

    init(engine: CacheEngine, metrics: ServerMetrics, stats: TenantStats, gate: Access, prices: PriceTable) {
        self.engine = engine
        self.metrics = metrics
        self.stats = stats
        self.gate = gate
        self.prices = prices
    }

    func register(on routes: RouteTable.Builder) {
        routes.add(.post, "/api/cache/get", .scope(.cacheRead), buffered: get)
        routes.add(.post, "/api/cache/check", .scope(.cacheRead), buffered: check)
        routes.add(.post, "/api/cache/explain", .scope(.cacheRead), buffered: explain)
        routes.add(.post, "/api/cache/set", .scope(.cacheWrite), buffered: set)
        routes.add(.post, "/api/cache/invalidate", .scope(.cacheInvalidate), buffered: invalidate)
    }

    /// A lookup. At hand for an edge hit, or a miss without remote tiers, once the key's
    /// record, allowance, namespace and generation are in memory. Cost of a repeated hit: one
    /// XXH3-128 of the body (the parse and key derivation are remembered in `memo`), a few
    /// striped locks, one response buffer.
    @Sendable func get(_ call: BufferedRoute.Call) -> Eventual<Answer> {
        // Each step takes what it needs as `with:` (no closure context on the hit path).
        resolve(call).flatMap(with: (self, call)) { step, resolved in
            let (routes, call) = step
            return routes.engine.lookup(resolved.key, in: resolved.namespace, generation: resolved.generation).map(with: (routes, call, resolved)) { step, hit in
                let (routes, call, resolved) = step
                return routes.answer(hit, resolved, call)
            }
        }
    }

    /// A lookup's answer, counted: for the tenant and namespace (with what a hit saved, the
    /// entry's `AnswerCost`, two integers decided at set time) and in `/metrics`.
    private func answer(_ hit: CacheEngine.Hit?, _ resolved: ResolvedKey, _ call: BufferedRoute.Call) -> Answer {
        let latency = LookupResponse.elapsedNanos(since: call.startedNanos)
        let now = engine.clock.nowMillis()
        let saved = hit?.entry.cost ?? .zero
        stats.recordLookup(in: resolved.namespace, atMillis: now, hit: hit != nil, saved: saved, micros: Int64(clamping: latency / 1000))
        metrics.recordLookup(hitTier: hit?.tier, remoteTiers: engine.remoteTiers)
        guard let hit else {
            return .json(LookupResponse.missBody(key: resolved.key, allocator: ByteBufferAllocator()), headers: [("X-Cache", "MISS")])
        }
        if !saved.isZero { metrics.recordSavings(saved) }
        let body = LookupResponse.hitBody(hit, key: resolved.key, nowMillis: now, latencyNanos: latency, allocator: ByteBufferAllocator())
        return .json(body, headers: [("X-Cache", LookupResponse.xCache(hit.tier))])
    }

    @Sendable func set(_ call: BufferedRoute.Call) -> Eventual<Answer> {
        Self.parse(call.body, CacheRequestParser.store).flatMap { [self] store in
            set(store, call)
        }
    }

    private func set(_ store: StoreRequest, _ call: BufferedRoute.Call) -> Eventual<Answer> {
        gate.namespace(store.namespace ?? call.head.namespace, for: call.caller).flatMap { [engine, prices] namespace in
            .async { () throws(CacheError) in
                // Decided here, once, so a hit only adds two numbers (SPEC §8).
                let cost = AnswerCost(
                    response: store.response, model: store.fields.model, declaredTokens: store.controls.declaredTokens,
                    declaredCostUSD: store.controls.declaredCostUSD, prices: prices
                )
                let stored = try await engine.store(
                    store.response, for: store.fields, in: namespace, ttlSeconds: store.ttlSeconds,
                    maxTTLSeconds: call.caller.admission?.limits.maxTTLSeconds, cost: cost
                )
                var writer = JSONObjectWriter(allocator: ByteBufferAllocator(), capacity: 160)
                writer.field("success", true)
                writer.field("key", ascii: stored.key.hex)
                writer.field("cached_at", ascii: Timestamp.iso8601(millis: stored.entry.createdAtMillis))
                writer.field("ttl", number: stored.ttlSeconds)
                return .json(writer.finish())
            }
        }
    }

    @Sendable func check(_ call: BufferedRoute.Call) -> Eventual<Answer> {
        lookupRequest(call).flatMap { [engine] lookup, namespace in
            .async { () throws(CacheError) in
                let (_, entry) = try await engine.check(lookup.fields, in: namespace)
                var writer = JSONObjectWriter(allocator: ByteBufferAllocator(), capacity: 64)
                writer.field("cached", entry != nil)
                writer.field("ttl_remaining", entry?.ttlRemainingSeconds(at: engine.clock.nowMillis()) ?? 0)
                return .json(writer.finish())
            }
        }
    }

    @Sendable func invalidate(_ call: BufferedRoute.Call) -> Eventual<Answer> {
        Self.parse(call.body, CacheRequestParser.invalidate).flatMap { [self] command in
            invalidate(command, call)
        }
    }

    private func invalidate(_ command: InvalidateRequest, _ call: BufferedRoute.Call) -> Eventual<Answer> {
        let clientNamespace = command.namespace ?? call.head.namespace
        if command.fields == nil && clientNamespace == nil {
            return .failure(.invalidRequest(
                "name the namespace to invalidate in the body (\"namespace\") or the X-Cache-Namespace header, or send the get fields to delete one entry"
            ))
        }
        return gate.namespace(clientNamespace, for: call.caller).flatMap { [engine] namespace in
            .async { () throws(CacheError) in
                var writer = JSONObjectWriter(allocator: ByteBufferAllocator(), capacity: 160)
                writer.field("success", true)
                writer.field("namespace", ascii: namespace.name)
                if let fields = command.fields {
                    let (key, removed) = try await engine.delete(fields, in: namespace)
                    writer.field("generation", try await engine.generation(of: namespace).get())
                    writer.field("key", ascii: key.hex)
                    writer.field("deleted", removed)
                } else {
                    writer.field("generation", try await engine.invalidate(namespace))
                }
                return .json(writer.finish())
            }
        }
    }

    @Sendable func explain(_ call: BufferedRoute.Call) -> Eventual<Answer> {
        lookupRequest(call).flatMap { [engine] lookup, namespace in
            engine.keyMaterial(for: lookup.fields, in: namespace).map { material in
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
        }
    }

    // MARK: - Helpers

    /// The lookup fields of the body and the tenant namespace they act in (body `namespace`,
    /// else `X-Cache-Namespace`), admitted.
    private func lookupRequest(_ call: BufferedRoute.Call) -> Eventual<(LookupRequest, CacheNamespace)> {
        Self.parse(call.body, CacheRequestParser.lookup).flatMap { [gate] lookup in
            gate.namespace(lookup.namespace ?? call.head.namespace, for: call.caller).map { (lookup, $0) }
        }
    }

    /// `body` read by one of `CacheRequestParser`'s functions; at hand either way.
    private static func parse<Request: Sendable>(
        _ body: ByteBuffer,
        _ parser: (UnsafeRawBufferPointer) throws(CacheError) -> Request
    ) -> Eventual<Request> {
        do {
            return .value(try body.withUnsafeReadableBytes { (bytes) throws(CacheError) in try parser(bytes) })
        } catch {
            return .failure(error)
        }
    }

    /// The namespace, generation and key a get's body looks up: from the memo when these exact
    /// bytes were resolved before for this tenant at the current generation, else parsed,
    /// derived and remembered. The namespace is admitted either way.
    private func resolve(_ call: BufferedRoute.Call) -> Eventual<ResolvedKey> {
        guard let tenant = call.caller.tenant else { return .failure(CacheError(.internalError, "get without a tenant")) }
        let fingerprint = call.body.withUnsafeReadableBytes { bytes in
            LookupMemo.fingerprint(tenant: tenant, headerNamespace: call.head.namespace, body: bytes)
        }
        if let known = memo.entry(for: fingerprint), known.namespace.tenant == tenant,
            case .now(.success(known.generation)) = engine.generation(of: known.namespace)
        {
            return gate.admit(namespace: known.namespace, for: call.caller).map(with: known) { known, _ in known }
        }
        return lookupRequest(call).flatMap(with: (self, fingerprint)) { step, request in
            let (routes, fingerprint) = step
            return routes.engine.key(for: request.0.fields, in: request.1).map(with: (routes.memo, fingerprint)) { step, resolved in
                step.0.remember(resolved, for: step.1)
                return resolved
            }
        }
    }
}
