import AgentCacheAuth
import AgentCacheCore
import AgentCacheOrigin
import AgentCacheRedis
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// Assembles the server: engine, tiers, routes, middleware and background services, as one
/// Hummingbird application that runs until SIGTERM/SIGINT, then drains in-flight requests
/// and closes Redis.
public enum AgentCacheServer {
    /// The parts of a built server that tests and the executable may want to reach.
    public struct Parts: Sendable {
        /// The cache engine behind every route.
        public let engine: CacheEngine
        /// The server's metrics registry.
        public let metrics: ServerMetrics
        /// The Redis tier when `--redis-url` is set.
        public let redis: RedisParts?
        /// API keys and limits; nil in open mode (no admin token).
        public let auth: KeyAuthority?
        /// Per-tenant request, hit and miss counts for `/api/stats`.
        public let stats: TenantStats
        /// The clock entries, keys and statistics are timed with.
        public let clock: any CacheClock
        /// The origin tier behind `/api/cdn/stream`; nil when unconfigured.
        public let origin: OriginTier?
        /// Every route as `"<METHOD> <path>"` with the access it declares (`public`, `admin`,
        /// `scope <name>`), and as the router holds it, so tests can walk both.
        public internal(set) var routes: [(route: String, access: String)]
        /// The router's own list of routes, `"<METHOD> <path>"`.
        public internal(set) var routerRoutes: [String] = []
    }

    /// The Redis side of a server: the shared tier, shared generations and the subscriber
    /// that hears other nodes' invalidations.
    public struct RedisParts: Sendable {
        /// The pooled client every Redis command goes through.
        public let client: RedisClient
        /// The read-through/write-through tier.
        public let tier: RedisTier
        /// Namespace generations shared through Redis.
        public let generations: RedisGenerations
        /// Hears other nodes' invalidations.
        public let subscriber: RedisSubscriber
    }

    /// Builds the application for `configuration`. `clock` is injectable so tests can move time.
    /// Throws a one-line `CacheError` when the key file under `--data-dir` cannot be opened or
    /// another process holds the directory.
    public static func buildApplication(
        configuration: ServerConfiguration,
        clock: any CacheClock = SystemClock(),
        logger: Logger = Logger(label: "agentcache")
    ) throws -> (application: some ApplicationProtocol, parts: Parts) {
        let metrics = ServerMetrics()
        let edge = EdgeCache(configuration: configuration.edge)
        let redis = configuration.redis.map { makeRedis($0, edge: edge, metrics: metrics, clock: clock, logger: logger) }
        var engineConfiguration = configuration.engine
        if configuration.origin.isEnabled {
            // Stored objects carry a small record header on top of up to --max-object-bytes.
            engineConfiguration.maxValueBytes = max(engineConfiguration.maxValueBytes, configuration.origin.tier.maxObjectBytes + (1 << 20))
        }
        let engine = CacheEngine(
            edge: edge,
            generations: redis?.generations ?? NamespaceGenerations(),
            remoteTiers: redis.map { [$0.tier] } ?? [],
            clock: clock,
            configuration: engineConfiguration
        )
        let auth = try makeAuthority(configuration, redis: redis, clock: clock, logger: logger)
        if auth == nil {
            logger.warning("no --admin-token: running open, single-tenant mode; anyone who can reach \(configuration.host) can use the cache")
        }
        let origin = makeOrigin(configuration.origin, engine: engine, metrics: metrics, clock: clock, logger: logger)
        // Shared through Redis when configured, so every node answers /api/stats alike.
        let stats = TenantStats(shared: redis.map { RedisStatsStore(client: $0.client, logger: logger) })
        var parts = Parts(engine: engine, metrics: metrics, redis: redis, auth: auth, stats: stats, clock: clock, origin: origin, routes: [])
        let (router, routes) = buildRouter(configuration: configuration, parts: parts)
        parts.routes = routes.entries.map { ("\($0.method.rawValue) \($0.path)", $0.access.description) }
        parts.routerRoutes = router.routes.map { "\($0.method.rawValue) \($0.path)" }
        let serverName = "agentcache"
        let fastPath = FastPathHandler.Configuration(
            serveRoutes: configuration.hitFastPath,
            routes: routes,
            metrics: metrics,
            maxBodyBytes: configuration.maxBodyBytes,
            trustForwardedFor: configuration.trustForwardedFor,
            serverName: serverName
        )
        let connection = configuration.connection
        let cors = configuration.cors
        let server = HTTPServerBuilder { (responder: @escaping HTTPChannelHandler.Responder) throws -> any ServerChildChannel in
            AgentCacheHTTP1Channel(responder: responder, fastPath: fastPath, connection: connection, cors: cors)
        }
        var application = Application(
            router: router,
            server: server,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: serverName,
                availableConnectionsDelegate: ConnectionLimit(maximum: configuration.connection.maxConnections, metrics: metrics)
            ),
            logger: logger
        )
        if let keyFile = auth?.store as? FileKeyStore {
            // Added first, so it stops last: the data directory stays locked until the final
            // usage flush has written keys.json.
            application.addServices(keyFile)
        }
        application.addServices(
            EdgeSweeper(
                edge: edge,
                clock: clock,
                interval: configuration.sweepInterval,
                slotsPerTick: configuration.sweepSlotsPerTick,
                logger: logger
            )
        )
        if let redis {
            application.addServices(redis.client, redis.subscriber, redis.generations)
        }
        if let origin {
            application.addServices(origin.fetcher)
        }
        // Always: it folds the per-thread statistics batches into their history every second.
        // Added after the Redis client: services stop in reverse order, so the last usage and
        // statistics flush runs after the server drained and before Redis closes.
        application.addServices(UsageFlusher(ledger: auth?.ledger, stats: stats))
        return (application, parts)
    }

    /// The origin tier when an endpoint or allowed host is configured: a fetcher signing for
    /// the endpoint when credentials are set, and an SSRF guard allowing the endpoint's host
    /// and every `--origin-allow-host`.
    static func makeOrigin(
        _ settings: OriginSettings,
        engine: CacheEngine,
        metrics: ServerMetrics,
        clock: any CacheClock,
        logger: Logger
    ) -> OriginTier? {
        guard settings.isEnabled else { return nil }
        var tier = settings.tier
        // `problem` has vetted the endpoint already.
        tier.endpoint = settings.endpoint.flatMap { try? OriginURL(absolute: $0) }
        tier.bucket = settings.bucket
        var fetcher = OriginFetcher.Configuration()
        fetcher.timeout = .milliseconds(settings.timeoutMilliseconds)
        if let accessKey = settings.accessKey, let secretKey = settings.secretKey, let endpoint = tier.endpoint {
            fetcher.signer = SigV4Signer(accessKey: accessKey, secretKey: secretKey, region: settings.region)
            fetcher.signedEndpoint = endpoint
        }
        return OriginTier(
            configuration: tier,
            engine: engine,
            fetcher: OriginFetcher(configuration: fetcher, clock: clock, logger: logger),
            guardrail: SSRFGuard(allowedHosts: settings.allowedHosts, endpoint: tier.endpoint),
            fetchObserver: { metrics.recordOriginFetch($0) }
        )
    }

    /// The key authority when an admin token is configured: keys in Redis when configured,
    /// else in `<data-dir>/keys.json`; the rate and concurrency limiters through Redis
    /// (falling back to the in-process ones) or in process.
    static func makeAuthority(
        _ configuration: ServerConfiguration,
        redis: RedisParts?,
        clock: any CacheClock,
        logger: Logger
    ) throws -> KeyAuthority? {
        guard configuration.adminToken != nil else { return nil }
        let store: any KeyStore
        let limiter: any RateLimiting
        let concurrency: any ConcurrencyLimiting
        if let redis {
            store = RedisKeyStore(client: redis.client)
            limiter = RedisRateLimiter(client: redis.client, logger: logger)
            concurrency = RedisConcurrencyLimiter(client: redis.client, logger: logger)
        } else {
            store = try FileKeyStore(directory: configuration.dataDirectory)
            limiter = GCRALimiter()
            concurrency = ConcurrencyLimiter()
        }
        return KeyAuthority(
            store: store,
            limiter: limiter,
            concurrency: concurrency,
            clock: clock,
            rotationGraceSeconds: configuration.rotationGraceSeconds,
            plans: configuration.plans,
            logger: logger
        )
    }

    /// The Redis tier, its generations, and a subscriber that takes a namespace's new epoch
    /// and drops its edge entries when any node invalidates it.
    static func makeRedis(
        _ configuration: RedisClientConfiguration,
        edge: EdgeCache,
        metrics: ServerMetrics,
        clock: any CacheClock,
        logger: Logger
    ) -> RedisParts {
        var configuration = configuration
        let observer = configuration.latencyObserver
        configuration.latencyObserver = { latency, succeeded in
            metrics.recordRedisLatency(latency)
            observer?(latency, succeeded)
        }
        let client = RedisClient(configuration: configuration, logger: logger)
        let tier = RedisTier(client: client, clock: clock, logger: logger)
        let generations = RedisGenerations(client: client, logger: logger)
        let subscriber = RedisSubscriber(
            configuration: .init(url: configuration.url, connectTimeout: configuration.connectTimeout),
            logger: logger,
            onMessage: { qualified, generation in
                // Only when this node held another generation can its edge hold entries to drop
                // (the scan is O(entries); a namespace created elsewhere costs none).
                if generations.apply(qualifiedNamespace: qualified, generation: generation),
                    let namespace = CacheNamespace(qualified: qualified)
                {
                    edge.removeAll(in: namespace)
                }
            },
            onDeletion: { _, _, key in
                // One entry deleted on another node (its key names namespace and generation).
                edge.remove(key)
            },
            onResubscribed: {
                // Invalidations and deletions published while we were not listening are read
                // back now.
                Task {
                    await generations.refresh()
                    await tier.catchUpDeletions(remove: { edge.remove($0) }, removeAll: { edge.removeAll() })
                }
            }
        )
        return RedisParts(client: client, tier: tier, generations: generations, subscriber: subscriber)
    }

    /// The router with every route registered through one `RouteTable` (so each declares
    /// its access), and the table the event-loop dispatcher serves buffered routes from.
    static func buildRouter(configuration: ServerConfiguration, parts: Parts) -> (Router<AgentCacheRequestContext>, RouteTable) {
        let router = Router(context: AgentCacheRequestContext.self)
        // Outermost first: metrics see the final status, errors are rendered before them, and
        // no route runs for a path that is not canonical.
        router.add(middleware: RequestMetricsMiddleware(metrics: parts.metrics))
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: PathRuleMiddleware())
        let gate = Access(authority: parts.auth, adminToken: configuration.adminToken, stats: parts.stats, clock: parts.clock, cors: configuration.cors)
        let routes = RouteTable.Builder(
            router: router,
            gate: gate,
            maxBodyBytes: configuration.maxBodyBytes,
            trustForwardedFor: configuration.trustForwardedFor
        )
        CacheRoutes(engine: parts.engine, metrics: parts.metrics, stats: parts.stats, gate: gate, prices: configuration.prices).register(on: routes)
        OperationsRoutes(parts: parts, startedAt: .now()).register(on: routes)
        ProvisionRoutes(authority: parts.auth, maxBodyBytes: configuration.maxBodyBytes, clock: parts.clock).register(on: routes)
        OriginRoutes(origin: parts.origin, metrics: parts.metrics, gate: gate, stats: parts.stats).register(on: routes)
        StatsRoutes(stats: parts.stats, authority: parts.auth, clock: parts.clock).register(on: routes)
        if configuration.cors.isEnabled { routes.addPreflights() }
        return (router, routes.build())
    }
}
