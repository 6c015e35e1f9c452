import AgentCacheAuth
import AgentCacheCore
import HTTPTypes
import NIOCore
import NIOHTTP1

/// Answers `POST /api/cache/get` edge hits without leaving the event loop, and looks edge
/// misses up in the remote tiers without the router: the same
/// authentication, admission, namespace rules, counters and response bytes as the router's
/// path (`TenantResolver` + `CacheRoutes.get` + the middleware), decided synchronously.
///
/// Everything else goes to the router: bad input, misses without remote tiers, keys,
/// generations or rate allowances not yet in memory. It declines before any side effect,
/// so a declined request is handled by the router exactly as if the fast path did not exist.
/// Once admission has run it always answers, an admission error included.
/// Cost of a repeated hit: one XXH3-128 of the body (the parse and key derivation are
/// remembered in a `LookupMemo`), a few striped locks, one response buffer.
struct HitFastPath: Sendable {
    /// The route this path serves.
    static let route = "/api/cache/get"

    let engine: CacheEngine
    let metrics: ServerMetrics
    let stats: TenantStats
    let authority: KeyAuthority?
    let trustForwardedFor: Bool
    let maxBodyBytes: Int
    /// Request bytes already resolved to keys, shared by every connection.
    let memo = LookupMemo()

    /// A complete answer: status, headers (without the length, date and server, which the
    /// writer adds) and body, in NIO's HTTP/1 types so nothing is converted on the way out.
    struct Answer {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: ByteBuffer
    }

    /// Whether `head` may be a fast-path request: an HTTP/1.1 keep-alive `POST /api/cache/get`
    /// with nothing that needs the router's handling (`Expect`, a declared body over the limit).
    func accepts(_ head: HTTPRequestHead) -> Bool {
        guard head.method == .POST, head.uri == Self.route, head.version == .http1_1, head.isKeepAlive,
            !head.headers.contains(name: "Expect")
        else { return false }
        if let length = head.headers.first(name: "Content-Length") {
            guard let declared = Int(length), declared <= maxBodyBytes else { return false }
        }
        return true
    }

    /// What the fast path does with one request.
    enum Outcome {
        /// Answered now (an edge hit, or an admission error).
        case answered(Answer)
        /// Admitted; the answer comes from the remote tiers (run it off the event loop).
        case pending(@Sendable () async -> Answer)
        /// Not this path's: hand the request to the router untouched.
        case declined
    }

    /// What to do with `head` + `body`: answer an edge hit now, look a miss up in the remote
    /// tiers without the router, or decline before any side effect.
    func answer(_ head: HTTPRequestHead, body: ByteBuffer, remoteAddress: SocketAddress?, allocator: ByteBufferAllocator) -> Outcome {
        let started = NIODeadline.now().uptimeNanoseconds

        // Who is asking, decided without side effects.
        let tenant: String
        let record: KeyRecord?
        if let authority {
            let credential = TenantResolver.credential(apiKey: head.headers.first(name: "X-API-Key"), authorization: head.headers.first(name: "Authorization"))
            guard let known = try? authority.authenticateNow(credential) else { return .declined }
            tenant = known.namespace
            record = known
        } else {
            tenant = TenantResolver.defaultTenant
            record = nil
        }
        guard let resolved = resolve(body, tenant: tenant, headerNamespace: head.headers.first(name: "X-Cache-Namespace")) else { return .declined }
        let key = resolved.key
        if let authority, let record, !authority.knowsNamespace(resolved.namespace.name, for: record) { return .declined }
        let hit = engine.peekEdgeHit(key)
        // An edge miss without remote tiers is cheap for the router.
        if hit == nil && engine.remoteTiers.isEmpty { return .declined }

        // Committed from here: admission counts the request as the router's path would.
        var headers = HTTPHeaders()
        var admission: Admission?
        if let authority, let record {
            let clientAddress = TenantResolver.clientAddress(
                forwardedFor: head.headers.first(name: "X-Forwarded-For"),
                remote: remoteAddress,
                trustForwardedFor: trustForwardedFor
            )
            do {
                guard let admitted = try authority.admitNow(record, scope: .cacheRead, clientAddress: clientAddress) else { return .declined }
                admission = admitted
                for (name, value) in admitted.rate.headerPairs { headers.add(name: name, value: value) }
            } catch {
                let (body, fields) = ErrorMiddleware<AgentCacheRequestContext>.parts(for: error, allocator: allocator)
                let errorHeaders = HTTPHeaders(fields.map { ($0.name.canonicalName, $0.value) })
                let status = HTTPResponseStatus(statusCode: error.httpStatus.code)
                return .answered(finish(Answer(status: status, headers: errorHeaders, body: body), started: started))
            }
        }
        if let hit {
            engine.countEdgeHit(key)
            return .answered(respond(hit, key: key, tenant: tenant, admission: admission, headers: headers, started: started, allocator: allocator))
        }
        return .pending { [self, admission, headers] in
            let remote = await engine.remoteLookup(key, in: resolved.namespace, generation: resolved.generation)
            return respond(remote, key: key, tenant: tenant, admission: admission, headers: headers, started: started, allocator: allocator)
        }
    }

    /// The answer to an admitted lookup that found `hit` (nil: missed everywhere), counted as
    /// the router counts it.
    private func respond(
        _ hit: CacheEngine.Hit?,
        key: CacheKey,
        tenant: String,
        admission: Admission?,
        headers: HTTPHeaders,
        started: UInt64,
        allocator: ByteBufferAllocator
    ) -> Answer {
        var headers = headers
        let now = engine.clock.nowMillis()
        stats.record(tenant: tenant, atMillis: now, hit: hit != nil, request: true)
        metrics.recordLookup(hitTier: hit?.tier, remoteTiers: engine.remoteTiers)
        if let admission { authority?.finishNow(admission) }
        guard let hit else {
            headers.add(name: "X-Cache", value: "MISS")
            return finish(Answer(status: .ok, headers: headers, body: LookupResponse.missBody(key: key, allocator: allocator)), started: started)
        }
        headers.add(name: "X-Cache", value: LookupResponse.xCache(hit.tier))
        let body = LookupResponse.hitBody(hit, key: key, nowMillis: now, startedNanos: started, allocator: allocator)
        return finish(Answer(status: .ok, headers: headers, body: body), started: started)
    }

    /// The namespace and key `body` looks up for `tenant`: from the memo when these exact bytes
    /// were resolved before for this tenant at the current generation, else parsed, derived
    /// and remembered. nil when the body is not a valid lookup or the generation is unknown.
    private func resolve(_ body: ByteBuffer, tenant: String, headerNamespace: String?) -> LookupMemo.Entry? {
        body.withUnsafeReadableBytes { bytes -> LookupMemo.Entry? in
            let fingerprint = LookupMemo.fingerprint(tenant: tenant, headerNamespace: headerNamespace, body: bytes)
            if let known = memo.entry(for: fingerprint), known.namespace.tenant == tenant,
                engine.isCurrent(known.generation, of: known.namespace)
            {
                return known
            }
            guard let lookup = try? CacheRequestParser.lookup(bytes),
                let namespace = try? CacheNamespace(tenant: tenant, clientNamespace: lookup.namespace ?? headerNamespace),
                let (key, generation) = engine.keyNow(lookup.fields, in: namespace)
            else { return nil }
            let entry = LookupMemo.Entry(namespace: namespace, generation: generation, key: key)
            memo.remember(entry, for: fingerprint)
            return entry
        }
    }

    /// Adds the JSON content type and records the request as `RequestMetricsMiddleware` would.
    private func finish(_ answer: Answer, started: UInt64) -> Answer {
        var answer = answer
        answer.headers.add(name: "Content-Type", value: "application/json")
        metrics.recordFastPathAnswer()
        metrics.recordRequest(
            route: Self.route,
            method: "POST",
            status: Int(answer.status.code),
            nanoseconds: Int64(NIODeadline.now().uptimeNanoseconds &- started)
        )
        return answer
    }
}
