import AgentCacheCore

/// Decides whether an origin URL may be fetched, before any connection is made (SPEC §3). Two
/// kinds of target are allowed, whatever address they resolve to (private and loopback
/// included): the configured endpoint's scheme, host and port (operator configuration, so a
/// MinIO on 10.0.0.5 or 127.0.0.1 works as it is), and the `--origin-allow-host` entries,
/// each on its port only (`AllowedHost`). Everything else is refused, so a private or
/// loopback address is reached only when it was named with its port. The scheme is already
/// http(s) (`OriginURL`) and redirects are never followed (`OriginFetcher`).
/// Cost: one origin comparison plus two comparisons per entry; no DNS, no I/O.
///
/// Hosts are trusted as named: the HTTP client resolves them when it connects, so an
/// allow-listed name is fetched from whatever its DNS says. Allow-list only hosts whose DNS
/// you trust.
public struct SSRFGuard: Sendable {
    /// The `--origin-allow-host` entries.
    public let allowedHosts: [AllowedHost]
    /// The configured endpoint (`--origin-endpoint`): its scheme, host and port are trusted.
    public let endpoint: OriginURL?

    /// A guard allowing `endpoint`'s origin and `allowedHosts`.
    public init(allowedHosts: [AllowedHost], endpoint: OriginURL?) {
        self.allowedHosts = allowedHosts
        self.endpoint = endpoint
    }

    /// Throws `INVALID_REQUEST` unless `url` is on the endpoint's scheme, host and port or
    /// matches an allow-listed `host[:port]`.
    public func check(_ url: OriginURL) throws(CacheError) {
        if let endpoint, endpoint.hasSameOrigin(as: url) { return }
        if allowedHosts.contains(where: { $0.matches(url) }) { return }
        throw .invalidRequest(
            "origin \(url.scheme)://\(url.host):\(url.effectivePort) is neither the --origin-endpoint nor an allow-listed host:port (--origin-allow-host)"
        )
    }
}
