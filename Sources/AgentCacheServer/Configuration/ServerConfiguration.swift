import AgentCacheAuth
import AgentCacheCore
import AgentCacheRedis

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything `agentcache serve` can be told, with the defaults of SPEC §6.
public struct ServerConfiguration: Sendable {
    /// Interface to bind. Loopback by default: exposing a cache is a deliberate act.
    public var host: String = "127.0.0.1"
    /// TCP port (SPEC default 8080; 0 picks a free one).
    public var port: Int = 8080
    /// Edge tier size and striping.
    public var edge: EdgeCache.Configuration = .init()
    /// Engine tunables (default TTL, compression threshold, ...).
    public var engine: CacheEngine.Configuration = .init()
    /// Client connection deadlines and limits (`--idle-timeout`, `--header-timeout`,
    /// `--body-timeout`, `--max-connections`, `--shutdown-grace`).
    public var connection: ConnectionConfiguration = .init()
    /// Browser origins allowed to call the API (`--cors-origin`); none by default.
    public var cors: CORSPolicy = .init()
    /// Largest request body accepted; larger ones get 413 `PAYLOAD_TOO_LARGE`.
    public var maxBodyBytes: Int = 4 << 20
    /// The shared Redis tier; nil runs the edge tier alone.
    public var redis: RedisClientConfiguration?
    /// Where state that must survive a restart is written (API keys without Redis).
    public var dataDirectory: String = "./agentcache-data"
    /// Token for the admin routes. Setting it turns API keys on: every cache route then needs
    /// a key and acts for the key's tenant. Nil runs open, single-tenant mode (tenant `default`,
    /// no key needed, admin routes refused).
    public var adminToken: String?
    /// Open mode on a non-loopback interface is refused unless this is set (`--allow-open`).
    public var allowOpen: Bool = false
    /// Limits of the plan tiers (SPEC §5's, with `--tier-limit` overrides).
    public var plans: PlanLimits = .standard
    /// Model prices for the savings accounting: the shipped table, with `--prices FILE` merged
    /// over it.
    public var prices: PriceTable = .shipped
    /// How long a rotated key keeps working, in seconds (`--rotation-grace`, default 24 h).
    public var rotationGraceSeconds: Double = 86_400
    /// Take the client address for IP allow-lists from `X-Forwarded-For` (only behind a proxy
    /// that sets it; `--trust-forwarded-for`).
    public var trustForwardedFor: Bool = false
    /// Serve the cache routes from `FastPathHandler` (on the event loop while every step is at
    /// hand); off, the router runs the same route code (`--no-hit-fast-path`, for comparison).
    public var hitFastPath: Bool = true
    /// The origin tier behind `/api/cdn/stream` (off unless an endpoint or allowed host is set).
    public var origin: OriginSettings = .init()
    /// How often the sweeper runs, and how many slots per stripe it examines each time.
    public var sweepInterval: Duration = .milliseconds(250)
    /// Slots per stripe the sweeper examines per tick (bounds the lock hold time).
    public var sweepSlotsPerTick: Int = 1024

    /// The defaults.
    public init() {}

    /// Nil when the configuration can run, else a one-line reason naming the flag.
    public var problem: String? {
        if let edgeProblem = edge.problem { return edgeProblem }
        if let corsProblem = cors.problem { return corsProblem }
        if !(0...65535).contains(port) { return "--port must be between 0 and 65535, got \(port)" }
        if maxBodyBytes < 1024 { return "--max-body-bytes must be at least 1024, got \(maxBodyBytes)" }
        if !(engine.defaultTTLSeconds > 0) { return "--default-ttl must be a positive number of seconds" }
        if let originProblem = origin.problem { return originProblem }
        if host.isEmpty { return "--host must not be empty" }
        if let adminToken, let tokenProblem = Self.adminTokenProblem(adminToken) { return tokenProblem }
        if !(rotationGraceSeconds >= 0) { return "--rotation-grace must be a non-negative number of seconds" }
        if adminToken == nil && !allowOpen && !Self.isLoopback(host) {
            return "refusing to serve \(host) without API keys: set --admin-token to require keys, or --allow-open to serve anyone who can reach it"
        }
        return nil
    }

    /// Whether binding `host` only accepts connections from this machine: the name `localhost`,
    /// or an IP address (parsed, not compared as text) in 127.0.0.0/8 or `::1`. Any other name,
    /// `127.evil.example` included, counts as reachable from elsewhere.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" { return true }
        // inet_pton takes only full literals: not `127.1`, not a name, not `[::1]`.
        var bytes = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET, host, &bytes) == 1 { return bytes[0] == 127 }
        if inet_pton(AF_INET6, host, &bytes) == 1 { return bytes[0..<15].allSatisfy { $0 == 0 } && bytes[15] == 1 }
        return false
    }

    /// Nil when `token` can guard the admin routes, else why not: a token that is empty once
    /// spaces and tabs are trimmed, one with spaces or tabs around it or a control character
    /// in it (an `Authorization` header cannot carry them, so it could never match), or one
    /// shorter than 16 characters.
    static func adminTokenProblem(_ token: String) -> String? {
        let trimmed = token.trimmingSpaces
        if trimmed.isEmpty { return "--admin-token is empty or only spaces" }
        if trimmed != token || token.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "--admin-token must not have spaces or tabs around it nor control characters in it (it could never match an Authorization header)"
        }
        if trimmed.utf8.count < 16 { return "--admin-token must be at least 16 characters (it guards key provisioning)" }
        return nil
    }
}
