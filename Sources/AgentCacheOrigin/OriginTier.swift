import AgentCacheCore
import AsyncHTTPClient
import NIOCore

/// The pull-through object cache behind `/api/cdn/stream`: edge → remote tiers → origin, with
/// one origin fetch per object key at a time (single flight), fresh/stale bookkeeping in the
/// stored record, negative caching of 404s, stale-if-error, and pass-through streaming of
/// objects too large to cache. Transport-free towards clients: it answers `Answer`s; the
/// server's route turns them into HTTP (ranges, 304, headers).
/// Cost of a hit: an allow-list check (no DNS), one engine lookup and one record decode.
public final class OriginTier: Sendable {
    /// Origin tier settings (SPEC §3; flags `--origin-*`, `--stale-if-error`, `--max-object-bytes`).
    public struct Configuration: Sendable {
        /// The default S3 endpoint (`--origin-endpoint`), for `?path=` and signing.
        public var endpoint: OriginURL?
        /// The default bucket for `?path=` (`--origin-bucket`).
        public var bucket: String?
        /// Seconds a fetched object is served as fresh (`--origin-ttl`).
        public var ttlSeconds: Double = 3600
        /// Seconds past freshness a copy is kept to serve when the origin fails (`--stale-if-error`).
        public var staleIfErrorSeconds: Double = 86_400
        /// Seconds an origin 404 is remembered, so a missing object does not hammer the origin.
        public var negativeTTLSeconds: Double = 30
        /// Objects larger than this stream through uncached (`--max-object-bytes`).
        public var maxObjectBytes: Int = 64 << 20

        /// Defaults: no endpoint, 1 h fresh, 24 h stale-if-error, 30 s negative, 64 MiB.
        public init() {}
    }

    /// Where an answer came from.
    public enum Source: Sendable, Equatable {
        /// A fresh copy from a cache tier.
        case hit(TierName)
        /// Fetched from the origin for this request (or a concurrent one).
        case origin
        /// A copy past its freshness, served because the origin failed.
        case stale
    }

    /// What to send the client.
    public enum Answer: Sendable {
        /// A whole object, with its age in seconds.
        case object(ObjectRecord, source: Source, ageSeconds: Int64)
        /// An object too large to cache: its head and the origin's body, streamed through;
        /// `contentRange` is set when the origin answered a forwarded `Range` with 206.
        case passThrough(ObjectHead, HTTPClientResponse.Body, contentRange: String?)
    }

    /// The result of one flight: what every coalesced request gets.
    private enum FlightOutcome: Sendable {
        case stored(ObjectRecord)
        /// Too large to cache: each request streams its own fetch.
        case tooLarge
    }

    public let configuration: Configuration
    public let engine: CacheEngine
    public let fetcher: OriginFetcher
    public let guardrail: SSRFGuard
    public let statistics = OriginStatistics()
    private let flights = SingleFlight<CacheKey, FlightOutcome>()
    private let fetchObserver: (@Sendable (Duration) -> Void)?

    /// Assembles the tier. `fetchObserver` hears the duration of every origin fetch.
    public init(
        configuration: Configuration,
        engine: CacheEngine,
        fetcher: OriginFetcher,
        guardrail: SSRFGuard,
        fetchObserver: (@Sendable (Duration) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.engine = engine
        self.fetcher = fetcher
        self.guardrail = guardrail
        self.fetchObserver = fetchObserver
    }

    /// The URL named by a request's `url` (absolute) or `path` (key in the default bucket).
    public func target(url: String?, path: String?) throws(CacheError) -> OriginURL {
        switch (url, path) {
        case (let url?, nil):
            return try OriginURL(absolute: url)
        case (nil, let path?):
            guard let endpoint = configuration.endpoint, let bucket = configuration.bucket else {
                throw .invalidRequest("?path= needs --origin-endpoint and --origin-bucket; pass ?url= instead")
            }
            return try OriginURL(key: path, bucket: bucket, endpoint: endpoint)
        default:
            throw .invalidRequest("name the object with exactly one of ?url=<absolute URL> or ?path=<key>")
        }
    }

    /// The object `url` names, for `namespace`: cached, fetched, stale or streamed through.
    /// `maxTTLSeconds` is the caller's TTL ceiling (its API key tier's). `range` is the client's
    /// `Range` header: cached objects are sliced by the route, but an object too large to cache
    /// is fetched again with the range forwarded, so players can seek in large videos.
    /// Throws `CacheError`.
    public func get(_ url: OriginURL, in namespace: CacheNamespace, maxTTLSeconds: Double? = nil, range: String? = nil) async throws -> Answer {
        do {
            try guardrail.check(url)
        } catch {
            statistics.record(.refused)
            throw error
        }
        let generation = try await engine.generation(of: namespace).get()
        let key = KeyMaterial.object(namespace: namespace, generation: generation, identity: url.identity.canonical).key
        var stale: ObjectRecord?
        if let hit = try await engine.lookup(key, in: namespace, generation: generation).get(), let record = ObjectRecord(decoding: hit.value) {
            let now = engine.clock.nowMillis()
            if record.isFresh(at: now) {
                if record.kind == .notFound { throw Self.notFound(url) }
                return .object(record, source: .hit(hit.tier), ageSeconds: Self.age(record, now: now))
            }
            if record.kind == .object { stale = record }
        }
        var leaderStream: Answer?
        do {
            let (outcome, shared) = try await flights.run(key) { () async throws -> FlightOutcome in
                let (outcome, stream) = try await fetchAndStore(url, key: key, namespace: namespace, generation: generation, maxTTLSeconds: maxTTLSeconds)
                leaderStream = stream
                return outcome
            }
            if shared { statistics.recordCoalesced() }
            switch outcome {
            case .stored(let record):
                if record.kind == .notFound { throw Self.notFound(url) }
                return .object(record, source: .origin, ageSeconds: 0)
            case .tooLarge:
                // The leader's full-body stream is only useful without a range; dropping it
                // unread makes async-http-client cancel that exchange.
                if range == nil, let leaderStream { return leaderStream }
                let response = try await fetcher.fetch(url, range: range)
                return .passThrough(response.head, response.body, contentRange: response.contentRange)
            }
        } catch let error as CacheError where error.code == .originUnavailable {
            guard let stale else { throw error }
            statistics.recordStale()
            return .object(stale, source: .stale, ageSeconds: Self.age(stale, now: engine.clock.nowMillis()))
        }
    }

    /// One origin fetch: stores what fits (or the 404) and reports it; a too-large object's
    /// stream is handed back to the leader alone.
    private func fetchAndStore(
        _ url: OriginURL,
        key: CacheKey,
        namespace: CacheNamespace,
        generation: UInt64,
        maxTTLSeconds: Double?
    ) async throws -> (FlightOutcome, Answer?) {
        let started = ContinuousClock.now
        defer { fetchObserver?(ContinuousClock.now - started) }
        let response: OriginFetcher.Response
        let body: [UInt8]?
        do {
            response = try await fetcher.fetch(url)
            if response.status == 404 {
                body = []
            } else if let length = response.head.contentLength, length > configuration.maxObjectBytes {
                body = nil
            } else {
                body = try await OriginFetcher.collect(response.body, upTo: configuration.maxObjectBytes, host: url.host)
                guard body != nil else {
                    throw CacheError(.originUnavailable, "origin \(url.host) sent more than --max-object-bytes without a Content-Length")
                }
            }
        } catch let error as CacheError {
            statistics.record(.error)
            if error.code == .invalidRequest {
                statistics.record(.redirect)
            } else {
                statistics.record(error.timedOut ? .timeout : .unavailable)
            }
            throw error
        }
        guard let body else {
            statistics.record(.passThrough)
            return (.tooLarge, .passThrough(response.head, response.body, contentRange: nil))
        }
        let now = engine.clock.nowMillis()
        let record: ObjectRecord
        let ttl: Double
        if response.status == 404 {
            statistics.record(.notFound)
            ttl = min(configuration.negativeTTLSeconds, maxTTLSeconds ?? .infinity)
            record = ObjectRecord(kind: .notFound, fetchedAtMillis: now, freshUntilMillis: now + Int64(ttl * 1000), head: ObjectHead(), body: [])
        } else {
            statistics.record(.ok)
            statistics.recordBytes(body.count)
            let fresh = min(configuration.ttlSeconds, maxTTLSeconds ?? .infinity)
            // Kept past freshness for the stale-if-error window; the engine clamps to the caller's ceiling.
            ttl = fresh + configuration.staleIfErrorSeconds
            record = ObjectRecord(kind: .object, fetchedAtMillis: now, freshUntilMillis: now + Int64(fresh * 1000), head: response.head, body: body)
        }
        _ = await engine.store(record.encoded(), key: key, in: namespace, generation: generation, ttlSeconds: ttl, maxTTLSeconds: maxTTLSeconds)
        return (.stored(record), nil)
    }

    private static func notFound(_ url: OriginURL) -> CacheError {
        CacheError(.notFound, "origin has no object at \(url.identity.canonical)")
    }

    private static func age(_ record: ObjectRecord, now: Int64) -> Int64 {
        max(0, now - record.fetchedAtMillis) / 1000
    }
}
