import AgentCacheCore
import AgentCacheOrigin

/// The origin tier's flags (`--origin-*`, `--stale-if-error`, `--max-object-bytes`,
/// `--origin-ttl`). The tier is on when an endpoint or at least one allowed host is set.
public struct OriginSettings: Sendable {
    /// `--origin-endpoint`, e.g. `https://s3.us-east-1.lyvecloud.seagate.com`.
    public var endpoint: String?
    /// `--origin-region` (SigV4 scope).
    public var region: String = "us-east-1"
    /// `--origin-bucket`, the bucket `?path=` keys live in.
    public var bucket: String?
    /// `--origin-access-key` / `--origin-secret-key`: sign endpoint GETs with SigV4.
    public var accessKey: String?
    public var secretKey: String?
    /// `--origin-allow-host` (repeatable): `host[:port]` entries `?url=` may fetch from, on that
    /// port (the scheme's default when omitted), trusted even on private addresses. The
    /// endpoint needs no entry.
    public var allowHosts: [String] = []
    /// `--origin-timeout-ms`: connect and read (idle) timeout of one origin fetch, and its
    /// deadline for the response head.
    public var timeoutMilliseconds: Int = 10_000
    /// Freshness, stale window, negative TTL and size cap.
    public var tier: OriginTier.Configuration = .init()

    /// Origin tier off.
    public init() {}

    /// Whether `/api/cdn/stream` can fetch anything.
    public var isEnabled: Bool { endpoint != nil || !allowHosts.isEmpty }

    /// `allowHosts` parsed; entries that do not parse are left out (`problem` names them).
    public var allowedHosts: [AllowedHost] { allowHosts.compactMap { try? AllowedHost(parsing: $0) } }

    /// Nil when the settings can run, else a one-line reason naming the flag.
    public var problem: String? {
        if let endpoint {
            do {
                let parsed = try OriginURL(absolute: endpoint)
                if !parsed.query.isEmpty { return "--origin-endpoint must not carry a query" }
            } catch {
                return "--origin-endpoint: \(error.message)"
            }
        }
        for entry in allowHosts {
            do {
                _ = try AllowedHost(parsing: entry)
            } catch {
                return "--origin-allow-host: \(error.message)"
            }
        }
        if (accessKey == nil) != (secretKey == nil) { return "--origin-access-key and --origin-secret-key go together" }
        if !(1...600_000).contains(timeoutMilliseconds) { return "--origin-timeout-ms must be between 1 and 600000, got \(timeoutMilliseconds)" }
        if !(tier.ttlSeconds > 0) { return "--origin-ttl must be a positive number of seconds" }
        if !(tier.staleIfErrorSeconds >= 0) { return "--stale-if-error must be a non-negative number of seconds" }
        if tier.maxObjectBytes < 0 { return "--max-object-bytes must not be negative" }
        return nil
    }
}
