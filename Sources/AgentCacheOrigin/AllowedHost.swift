import AgentCacheCore

/// One `--origin-allow-host` entry, `host[:port]` (an IPv6 address in brackets): the host
/// `?url=` may fetch from, on that port only, or on the URL scheme's default port (80 for
/// http, 443 for https) when the entry names none. Hosts compare as written, lowercased: no
/// DNS, so `localhost` and `127.0.0.1` are different entries.
public struct AllowedHost: Sendable, Hashable, CustomStringConvertible {
    /// The lowercased host (an IPv6 literal keeps its brackets), as in `OriginURL.host`.
    public let host: String
    /// The only port allowed; nil for the scheme's default port.
    public let port: Int?

    /// Parses an entry. Throws `INVALID_REQUEST` (one line) for anything but `host[:port]`:
    /// a scheme, a path, user info, a bare IPv6 address or a port outside 1...65535.
    public init(parsing entry: String) throws(CacheError) {
        do {
            (host, port) = try OriginURL.splitAuthority(entry[...])
        } catch {
            throw .invalidRequest("'\(entry)' is not host[:port] (an IPv6 address in brackets, a port in 1...65535)")
        }
    }

    /// `host[:port]`.
    public var description: String { port.map { "\(host):\($0)" } ?? host }

    /// Whether `url` names this entry's host on its port. Two comparisons.
    public func matches(_ url: OriginURL) -> Bool {
        url.host == host && url.effectivePort == (port ?? OriginURL.defaultPort(url.scheme))
    }
}
