import AgentCacheAuth
import AgentCacheCore
import AgentCacheOrigin
import AgentCacheRedis
import AgentCacheServer
import ArgumentParser
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// `agentcache serve`: runs the HTTP server until SIGTERM/SIGINT. Every flag can also come
/// from an `AGENTCACHE_<FLAG>` environment variable; a flag on the command line wins.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the cache server (edge tier in process).",
        discussion: "Every flag can also be set as AGENTCACHE_<FLAG>, e.g. AGENTCACHE_PORT=9090 or AGENTCACHE_EDGE_BYTES=1GiB."
    )

    @Option(help: "Interface to bind (env AGENTCACHE_HOST, default 127.0.0.1).")
    var host: String?

    @Option(help: "TCP port (env AGENTCACHE_PORT, default 8080).")
    var port: Int?

    @Option(name: .customLong("edge-bytes"), help: "Edge tier byte budget, e.g. 268435456, 256MiB, 1GiB (env AGENTCACHE_EDGE_BYTES, default 256MiB).")
    var edgeBytes: String?

    @Option(help: "Edge tier lock stripes, a power of two (env AGENTCACHE_STRIPES, default 16).")
    var stripes: Int?

    @Option(name: .customLong("default-ttl"), help: "TTL in seconds of a set that names none (env AGENTCACHE_DEFAULT_TTL, default 604800).")
    var defaultTTL: Double?

    @Option(name: .customLong("max-body-bytes"), help: "Largest request body, e.g. 4MiB (env AGENTCACHE_MAX_BODY_BYTES, default 4MiB).")
    var maxBodyBytes: String?

    @Option(name: .customLong("redis-url"), help: "Shared Redis tier, redis://[:password@]host:port[/db] (env AGENTCACHE_REDIS_URL; default: edge tier only).")
    var redisURL: String?

    @Option(name: .customLong("redis-timeout-ms"), help: "Redis connect and command timeout in milliseconds (env AGENTCACHE_REDIS_TIMEOUT_MS, default 250).")
    var redisTimeoutMilliseconds: Int?

    @Option(name: .customLong("data-dir"), help: "Directory for state that survives restarts (env AGENTCACHE_DATA_DIR, default ./agentcache-data).")
    var dataDir: String?

    @Option(name: .customLong("admin-token"), help: "Bearer token for admin routes (env AGENTCACHE_ADMIN_TOKEN; admin routes are refused without one).")
    var adminToken: String?

    @Option(name: .customLong("rotation-grace"), help: "Seconds a rotated API key keeps working (env AGENTCACHE_ROTATION_GRACE, default 86400).")
    var rotationGrace: Double?

    @Flag(name: .customLong("allow-open"), help: "Allow open mode (no --admin-token, no API keys) on a non-loopback --host (env AGENTCACHE_ALLOW_OPEN=1).")
    var allowOpen = false

    @Option(name: .customLong("tier-limit"), help: ArgumentHelp("Override a plan tier's limits, e.g. enterprise:rps=20000,concurrent=none (fields rps, monthly, concurrent, namespaces, max-ttl; repeatable; env AGENTCACHE_TIER_LIMITS, ';'-separated).", valueName: "tier:field=value,..."))
    var tierLimits: [String] = []

    @Option(name: .customLong("prices"), help: ArgumentHelp("JSON price table merged over the shipped one for the savings accounting: {\"as_of\": \"YYYY-MM-DD\", \"models\": {\"<model>\": {\"input\": <$ per 1M tokens>, \"output\": <$ per 1M tokens>}}} (env AGENTCACHE_PRICES; default: the shipped table).", valueName: "file"))
    var prices: String?

    @Flag(name: .customLong("hit-fast-path"), inversion: .prefixedNo, help: "Serve the cache routes on the event loop while every step is at hand (edge hits); --no-hit-fast-path has the router run the same route code (env AGENTCACHE_HIT_FAST_PATH=0).")
    var hitFastPath = true

    @Flag(name: .customLong("trust-forwarded-for"), help: "Take the client IP for key allow-lists from X-Forwarded-For; only behind a proxy that sets it (env AGENTCACHE_TRUST_FORWARDED_FOR=1).")
    var trustForwardedFor = false

    @Option(name: .customLong("origin-endpoint"), help: "S3-compatible origin for /api/cdn/stream, e.g. https://s3.us-east-1.lyvecloud.seagate.com; trusted on any address, private or loopback included (env AGENTCACHE_ORIGIN_ENDPOINT; default: origin tier off).")
    var originEndpoint: String?

    @Option(name: .customLong("origin-region"), help: "SigV4 region of the origin (env AGENTCACHE_ORIGIN_REGION, default us-east-1).")
    var originRegion: String?

    @Option(name: .customLong("origin-bucket"), help: "Bucket ?path= keys live in (env AGENTCACHE_ORIGIN_BUCKET).")
    var originBucket: String?

    @Option(name: .customLong("origin-access-key"), help: "Access key for SigV4-signed origin GETs (env AGENTCACHE_ORIGIN_ACCESS_KEY).")
    var originAccessKey: String?

    @Option(name: .customLong("origin-secret-key"), help: "Secret key for SigV4-signed origin GETs (env AGENTCACHE_ORIGIN_SECRET_KEY).")
    var originSecretKey: String?

    @Option(name: .customLong("origin-allow-host"), help: ArgumentHelp("host[:port] ?url= may fetch from, on that port only (80/443 by scheme when omitted), trusted even on private addresses; the --origin-endpoint needs none; repeatable (env AGENTCACHE_ORIGIN_ALLOW_HOST, comma-separated).", valueName: "host[:port]"))
    var originAllowHosts: [String] = []

    @Option(name: .customLong("origin-timeout-ms"), help: "Connect, read and total timeout of an origin fetch in milliseconds (env AGENTCACHE_ORIGIN_TIMEOUT_MS, default 10000).")
    var originTimeoutMilliseconds: Int?

    @Option(name: .customLong("origin-ttl"), help: "Seconds a fetched object is served fresh (env AGENTCACHE_ORIGIN_TTL, default 3600).")
    var originTTL: Double?

    @Option(name: .customLong("stale-if-error"), help: "Seconds past freshness a cached object is served when the origin fails (env AGENTCACHE_STALE_IF_ERROR, default 86400).")
    var staleIfError: Double?

    @Option(name: .customLong("max-object-bytes"), help: "Largest object cached; larger ones stream through, e.g. 64MiB (env AGENTCACHE_MAX_OBJECT_BYTES, default 64MiB).")
    var maxObjectBytes: String?

    @Option(name: .customLong("cors-origin"), help: ArgumentHelp("Browser origin allowed to call the API (CORS), e.g. https://app.example, or * for any; repeatable; off by default (env AGENTCACHE_CORS_ORIGIN, comma-separated).", valueName: "origin|*"))
    var corsOrigins: [String] = []

    @Option(name: .customLong("idle-timeout"), help: "Seconds a connection with no request in progress stays open (env AGENTCACHE_IDLE_TIMEOUT, default 60).")
    var idleTimeout: Double?

    @Option(name: .customLong("header-timeout"), help: "Seconds a request head may take from its first byte; then 408 (env AGENTCACHE_HEADER_TIMEOUT, default 10).")
    var headerTimeout: Double?

    @Option(name: .customLong("body-timeout"), help: "Seconds a request body may go without progress; then 408 (env AGENTCACHE_BODY_TIMEOUT, default 30).")
    var bodyTimeout: Double?

    @Option(name: .customLong("max-connections"), help: "Connections open at once; at the limit accepting pauses (env AGENTCACHE_MAX_CONNECTIONS, default 10000).")
    var maxConnections: Int?

    @Option(name: .customLong("shutdown-grace"), help: "Seconds in-flight requests get to finish on SIGTERM/SIGINT before connections are cut (env AGENTCACHE_SHUTDOWN_GRACE, default 10).")
    var shutdownGrace: Double?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env AGENTCACHE_LOG_LEVEL, default info).")
    var logLevel: String?

    func run() async throws {
        let environment = EnvironmentOptions()
        var configuration = ServerConfiguration()
        configuration.host = host ?? environment["HOST"] ?? configuration.host
        configuration.port = try port ?? environment.integer("PORT", flag: "--port") ?? configuration.port
        if let value = edgeBytes ?? environment["EDGE_BYTES"] {
            configuration.edge.capacityBytes = try ByteCount.parse(value, flag: "--edge-bytes")
        }
        configuration.edge.stripes = try stripes ?? environment.integer("STRIPES", flag: "--stripes") ?? configuration.edge.stripes
        configuration.engine.defaultTTLSeconds =
            try defaultTTL ?? environment.number("DEFAULT_TTL", flag: "--default-ttl") ?? configuration.engine.defaultTTLSeconds
        if let value = maxBodyBytes ?? environment["MAX_BODY_BYTES"] {
            configuration.maxBodyBytes = try ByteCount.parse(value, flag: "--max-body-bytes")
        }
        if let url = redisURL ?? environment["REDIS_URL"] {
            let parsed: RedisURL
            do {
                parsed = try RedisURL(parsing: url)
            } catch {
                throw ValidationError("--redis-url: \(error.description)")
            }
            let timeout = try redisTimeoutMilliseconds ?? environment.integer("REDIS_TIMEOUT_MS", flag: "--redis-timeout-ms") ?? 250
            guard (1...60_000).contains(timeout) else {
                throw ValidationError("--redis-timeout-ms must be between 1 and 60000, got \(timeout)")
            }
            configuration.redis = RedisClientConfiguration(
                url: parsed,
                connectTimeout: .milliseconds(timeout),
                commandTimeout: .milliseconds(timeout)
            )
        }
        configuration.dataDirectory = dataDir ?? environment["DATA_DIR"] ?? configuration.dataDirectory
        configuration.adminToken = adminToken ?? environment["ADMIN_TOKEN"]
        configuration.rotationGraceSeconds =
            try rotationGrace ?? environment.number("ROTATION_GRACE", flag: "--rotation-grace") ?? configuration.rotationGraceSeconds
        configuration.allowOpen = allowOpen || environment.flag("ALLOW_OPEN") == true
        for override in tierLimits.isEmpty ? (environment["TIER_LIMITS"].map { $0.split(separator: ";").map(String.init) } ?? []) : tierLimits {
            do {
                try configuration.plans.apply(override)
            } catch {
                throw ValidationError(error.message)
            }
        }
        if let path = prices ?? environment["PRICES"] {
            configuration.prices = try Self.prices(path)
        }
        configuration.hitFastPath = hitFastPath && environment.flag("HIT_FAST_PATH") != false
        configuration.trustForwardedFor =
            trustForwardedFor || environment.flag("TRUST_FORWARDED_FOR") == true
        try applyOrigin(environment, to: &configuration.origin)
        try applyConnection(environment, to: &configuration.connection)
        configuration.cors.origins = !corsOrigins.isEmpty ? corsOrigins : environment.list("CORS_ORIGIN")
        let level = logLevel ?? environment["LOG_LEVEL"] ?? "info"
        guard let logLevel = Logger.Level(rawValue: level.lowercased()) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical; got '\(level)'")
        }
        if let problem = configuration.problem {
            throw ValidationError(problem)
        }

        var logger = Logger(label: "agentcache")
        logger.logLevel = logLevel
        let descriptors = OpenFileLimit.raise()
        let usable = OpenFileLimit.connections(within: descriptors)
        if configuration.connection.maxConnections > usable {
            logger.warning(
                "--max-connections lowered to what the open-file limit allows",
                metadata: ["requested": "\(configuration.connection.maxConnections)", "used": "\(usable)", "open_file_limit": "\(descriptors)"]
            )
            configuration.connection.maxConnections = usable
        }
        let application: any ApplicationProtocol
        do {
            application = try AgentCacheServer.buildApplication(configuration: configuration, logger: logger).application
        } catch let error as CacheError {
            throw CommandFailure(error.message)
        }
        logger.info(
            "starting agentcache",
            metadata: [
                "address": "\(configuration.host):\(configuration.port)",
                "edge_bytes": "\(configuration.edge.capacityBytes)",
                "stripes": "\(configuration.edge.stripes)",
                "tiers": "\(configuration.redis == nil ? "edge" : "edge,redis")",
                "redis": "\(configuration.redis.map { "\($0.url)" } ?? "none")",
                "api_keys": "\(configuration.adminToken == nil ? "off (open mode)" : "on")",
                "origin": "\(configuration.origin.endpoint ?? (configuration.origin.isEnabled ? "allow-listed hosts" : "off"))",
            ]
        )
        // Hummingbird's runService, with the shutdown bounded: connections are cut at the grace
        // (ConnectionRules); the group itself gives up a little later if anything still hangs.
        var group = ServiceGroupConfiguration(services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = configuration.connection.shutdownGrace + .seconds(5)
        group.maximumCancellationDuration = .seconds(5)
        try await ServiceGroup(configuration: group).run()
    }

    /// The shipped price table with the file at `path` merged over it; a file that cannot be
    /// read or is not a price table is a flag error naming the file and the fault.
    private static func prices(_ path: String) throws -> PriceTable {
        guard let bytes = FileKeyStore.readFile(path) else {
            throw ValidationError("--prices \(path): cannot read the file")
        }
        do {
            return PriceTable.shipped.merging(try PriceTable(json: bytes))
        } catch {
            throw ValidationError("--prices \(path): \(error.message)")
        }
    }

    /// The connection flags, each falling back to its `AGENTCACHE_*` variable.
    private func applyConnection(_ environment: EnvironmentOptions, to connection: inout ConnectionConfiguration) throws {
        func seconds(_ value: Double?, _ name: String, _ flag: String) throws -> Duration? {
            guard let value = try value ?? environment.number(name, flag: flag) else { return nil }
            guard value > 0, value <= 86_400 else { throw ValidationError("\(flag) must be a number of seconds above 0 and at most 86400, got \(value)") }
            return .milliseconds(Int64((value * 1000).rounded(.up)))
        }
        connection.idleTimeout = try seconds(idleTimeout, "IDLE_TIMEOUT", "--idle-timeout") ?? connection.idleTimeout
        connection.headerTimeout = try seconds(headerTimeout, "HEADER_TIMEOUT", "--header-timeout") ?? connection.headerTimeout
        connection.bodyTimeout = try seconds(bodyTimeout, "BODY_TIMEOUT", "--body-timeout") ?? connection.bodyTimeout
        connection.shutdownGrace = try seconds(shutdownGrace, "SHUTDOWN_GRACE", "--shutdown-grace") ?? connection.shutdownGrace
        connection.maxConnections = try maxConnections ?? environment.integer("MAX_CONNECTIONS", flag: "--max-connections") ?? connection.maxConnections
        guard connection.maxConnections >= 1 else {
            throw ValidationError("--max-connections must be at least 1, got \(connection.maxConnections)")
        }
    }

    /// The origin flags, each falling back to its `AGENTCACHE_*` variable.
    private func applyOrigin(_ environment: EnvironmentOptions, to origin: inout OriginSettings) throws {
        origin.endpoint = originEndpoint ?? environment["ORIGIN_ENDPOINT"]
        origin.region = originRegion ?? environment["ORIGIN_REGION"] ?? origin.region
        origin.bucket = originBucket ?? environment["ORIGIN_BUCKET"]
        origin.accessKey = originAccessKey ?? environment["ORIGIN_ACCESS_KEY"]
        origin.secretKey = originSecretKey ?? environment["ORIGIN_SECRET_KEY"]
        origin.allowHosts = !originAllowHosts.isEmpty ? originAllowHosts : environment.list("ORIGIN_ALLOW_HOST")
        origin.timeoutMilliseconds =
            try originTimeoutMilliseconds ?? environment.integer("ORIGIN_TIMEOUT_MS", flag: "--origin-timeout-ms") ?? origin.timeoutMilliseconds
        origin.tier.ttlSeconds = try originTTL ?? environment.number("ORIGIN_TTL", flag: "--origin-ttl") ?? origin.tier.ttlSeconds
        origin.tier.staleIfErrorSeconds =
            try staleIfError ?? environment.number("STALE_IF_ERROR", flag: "--stale-if-error") ?? origin.tier.staleIfErrorSeconds
        if let value = maxObjectBytes ?? environment["MAX_OBJECT_BYTES"] {
            origin.tier.maxObjectBytes = try ByteCount.parse(value, flag: "--max-object-bytes")
        }
    }
}
