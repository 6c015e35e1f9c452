import AgentCacheAuth
import AgentCacheCore
import AgentCacheOrigin
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET|HEAD /api/cdn/stream?url=<absolute URL>|?path=<key>`: the origin tier (SPEC §3).
/// The tier decides cached/fetched/stale; this route only speaks HTTP: validators (304),
/// ranges (206/416), pass-through headers, `X-Cache` and `Age`.
struct OriginRoutes {
    /// Nil when the origin tier is off.
    let origin: OriginTier?
    let metrics: ServerMetrics
    let gate: Access
    let stats: TenantStats

    func register(on routes: RouteTable.Builder) {
        routes.add(.get, "/api/cdn/stream", .scope(.cacheRead), stream)
    }

    @Sendable func stream(_ request: Request, context: AgentCacheRequestContext, caller: Caller) async throws -> Response {
        guard let origin else {
            throw CacheError.invalidRequest("the origin tier is off: start the server with --origin-endpoint or --origin-allow-host")
        }
        let parameters = request.uri.queryParameters
        let url = try origin.target(url: parameters["url"].map(String.init), path: parameters["path"].map(String.init))
        let namespace = try await gate.namespace(caller.head.namespace, for: caller).get()
        let isHead = request.method == .head
        let answer = try await origin.get(
            url,
            in: namespace,
            maxTTLSeconds: caller.admission?.limits.maxTTLSeconds,
            range: isHead ? nil : request.headers[.range]
        )
        switch answer {
        case .object(let record, let source, let age):
            recordLookup(source, in: namespace, engine: origin.engine)
            return try objectResponse(record, source: source, age: age, request: request, isHead: isHead)
        case .passThrough(let head, let body, let contentRange):
            recordLookup(.origin, in: namespace, engine: origin.engine)
            var headers = Self.headers(head)
            headers[.xCache] = "MISS"
            if let length = head.contentLength { headers[.contentLength] = String(length) }
            if let contentRange { headers[.contentRange] = contentRange }
            return Response(
                status: contentRange == nil ? .ok : .partialContent,
                headers: headers,
                body: isHead ? ResponseBody() : ResponseBody(asyncSequence: body)
            )
        }
    }

    private func objectResponse(
        _ record: ObjectRecord,
        source: OriginTier.Source,
        age: Int64,
        request: Request,
        isHead: Bool
    ) throws -> Response {
        var headers = Self.headers(record.head)
        headers[.age] = String(age)
        switch source {
        case .hit(let tier): headers[.xCache] = tier == .edge ? "HIT-edge" : "HIT-\(tier.rawValue)"
        case .origin: headers[.xCache] = "MISS"
        case .stale:
            headers[.xCache] = "STALE"
            headers[.warning] = "110 - \"Response is Stale\""
        }
        if let etag = record.head.etag, let condition = request.headers[.ifNoneMatch], Self.matches(condition, etag: etag) {
            return Response(status: .notModified, headers: headers, body: ResponseBody())
        }
        let length = record.body.count
        // GET is the only method with ranges (RFC 9110 §14.2): HEAD ignores Range and answers
        // what a GET without one would.
        switch ByteRange.resolve(isHead ? nil : request.headers[.range], length: length) {
        case .full:
            headers[.contentLength] = String(length)
            return Response(status: .ok, headers: headers, body: Self.body(record.body, isHead: isHead))
        case .partial(let range):
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(length)"
            headers[.contentLength] = String(range.count)
            return Response(status: .partialContent, headers: headers, body: Self.body(record.body.dropFirst(range.lowerBound).prefix(range.count), isHead: isHead))
        case .unsatisfiable:
            throw CacheError(
                .rangeNotSatisfiable,
                "the requested range starts past the end of the \(length)-byte object",
                responseHeaders: ["Content-Range": "bytes */\(length)"]
            )
        }
    }

    /// Counts a served object for the tenant and `/metrics`: cached answers, fresh or stale,
    /// are hits; one fetched from the origin is a miss. Origin 404s and SSRF refusals throw
    /// before this and are not counted.
    private func recordLookup(_ source: OriginTier.Source, in namespace: CacheNamespace, engine: CacheEngine) {
        let hit: Bool
        switch source {
        case .hit(let tier):
            hit = true
            metrics.recordLookup(hitTier: tier, remoteTiers: engine.remoteTiers)
        case .stale: hit = true
        case .origin:
            hit = false
            metrics.recordMiss(tier: .edge)
        }
        stats.recordLookup(in: namespace, atMillis: engine.clock.nowMillis(), hit: hit)
    }

    private static func headers(_ head: ObjectHead) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = head.contentType ?? "application/octet-stream"
        if let etag = head.etag { headers[.eTag] = etag }
        if let lastModified = head.lastModified { headers[.lastModified] = lastModified }
        headers[.acceptRanges] = "bytes"
        return headers
    }

    private static func body(_ bytes: ArraySlice<UInt8>, isHead: Bool) -> ResponseBody {
        isHead ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
    }

    /// `If-None-Match`: `*` or any listed tag, compared weakly (RFC 9110 §13.1.2).
    private static func matches(_ condition: String, etag: String) -> Bool {
        let ours = etag.hasPrefix("W/") ? String(etag.dropFirst(2)) : etag
        return condition.split(separator: ",").contains { candidate in
            let tag = String(candidate).trimmingSpaces
            return tag == "*" || (tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag) == ours
        }
    }
}

extension HTTPField.Name {
    /// `Warning: 110 - "Response is Stale"` on a stale-if-error answer.
    static let warning = HTTPField.Name("Warning")!
}
