import AgentCacheCore

/// An origin object URL, parsed strictly: `http`/`https` only (anything else, `file:` and
/// `gopher:` included, is refused before any I/O), no user info, no `.`/`..` path segments,
/// host lowercased, default port dropped, path and query percent-decoded (re-encoded the S3
/// way when fetched). Cost: one pass over the text.
public struct OriginURL: Sendable {
    /// `http` or `https`.
    public let scheme: String
    /// The lowercased host (an IPv6 literal keeps its brackets).
    public let host: String
    /// The port when it is not the scheme's default.
    public let port: Int?
    /// The decoded path, starting with `/` (`/bucket/key` for path-style S3).
    public let path: String
    /// Decoded query parameters in their original order.
    public let query: [(name: String, value: String)]

    /// The host without IPv6 brackets, for resolving.
    public var hostname: String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    /// `host[:port]`, the `Host` header value.
    public var authority: String { port.map { "\(host):\($0)" } ?? host }

    /// The port connected to: `port`, else the scheme's default (80 or 443).
    public var effectivePort: Int { port ?? Self.defaultPort(scheme) }

    /// 443 for `https`, else 80.
    static func defaultPort(_ scheme: String) -> Int { scheme == "https" ? 443 : 80 }

    /// Whether `other` has this URL's scheme, host and port (its web origin): the trust and
    /// signing boundary of the configured endpoint.
    public func hasSameOrigin(as other: OriginURL) -> Bool {
        scheme == other.scheme && host == other.host && port == other.port
    }

    /// Whether the query carries presigning parameters: such a URL is fetched as given, unsigned.
    public var isPresigned: Bool { query.contains { ObjectIdentity.isPresigning($0.name) } }

    /// The cache identity of the object.
    public var identity: ObjectIdentity { ObjectIdentity(self) }

    /// The URL to fetch: canonical path encoding plus every query parameter.
    public var fetchURL: String {
        "\(scheme)://\(authority)\(SigV4Signer.encodePath(path))" + (query.isEmpty ? "" : "?" + SigV4Signer.canonicalQuery(query))
    }

    /// Makes a URL from its parts (already validated).
    init(scheme: String, host: String, port: Int?, path: String, query: [(name: String, value: String)]) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
        self.query = query
    }

    /// Parses an absolute `http(s)://` URL (the `?url=` form). Throws `INVALID_REQUEST`.
    public init(absolute text: String) throws(CacheError) {
        guard let colon = text.firstIndex(of: ":") else { throw Self.invalid("origin URL must be absolute (http:// or https://)") }
        let scheme = text[..<colon].lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw Self.invalid("origin URL scheme '\(scheme)' is refused: only http and https are allowed")
        }
        var rest = text[text.index(after: colon)...]
        guard rest.hasPrefix("//") else { throw Self.invalid("origin URL must be absolute (\(scheme)://host/...)") }
        rest = rest.dropFirst(2)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        rest = rest[authorityEnd...]
        guard !authority.contains("@") else { throw Self.invalid("origin URL must not carry user info") }
        let (host, writtenPort) = try Self.splitAuthority(authority)
        let port = writtenPort == Self.defaultPort(scheme) ? nil : writtenPort
        let pathPart: Substring
        let queryPart: Substring?
        if let question = rest.firstIndex(of: "?") {
            pathPart = rest[..<question]
            queryPart = rest[rest.index(after: question)...]
        } else {
            pathPart = rest
            queryPart = nil
        }
        let path = try Self.checkedPath(try Self.percentDecode(pathPart.isEmpty ? "/" : pathPart))
        var query: [(name: String, value: String)] = []
        for pair in (queryPart ?? "").split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.percentDecode(parts[0], plusIsSpace: true)
            let value = parts.count > 1 ? try Self.percentDecode(parts[1], plusIsSpace: true) : ""
            query.append((name: name, value: value))
        }
        self.init(scheme: scheme, host: host, port: port, path: path, query: query)
    }

    /// The object `key` in `bucket` on `endpoint`, path-style (`endpoint/bucket/key`): the
    /// `?path=` form. The key is taken literally (no percent-decoding).
    public init(key: String, bucket: String, endpoint: OriginURL) throws(CacheError) {
        let trimmed = key.drop { $0 == "/" }
        guard !trimmed.isEmpty else { throw Self.invalid("path must name an object key") }
        let base = endpoint.path.hasSuffix("/") ? String(endpoint.path.dropLast()) : endpoint.path
        let path = try Self.checkedPath("\(base)/\(bucket)/\(trimmed)")
        self.init(scheme: endpoint.scheme, host: endpoint.host, port: endpoint.port, path: path, query: [])
    }

    /// Splits `host[:port]` (an IPv6 host in brackets): the lowercased host and the port as
    /// written (nil when absent). Throws `INVALID_REQUEST` for an empty or malformed host, a
    /// colon outside brackets, or a port outside 1...65535.
    static func splitAuthority(_ authority: Substring) throws(CacheError) -> (host: String, port: Int?) {
        var host = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid("origin URL has a malformed IPv6 host") }
            host = authority[...close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw invalid("origin URL has a malformed host") }
            guard host.dropFirst().dropLast().allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw invalid("origin URL host '\(host)' is not an IPv6 address")
            }
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        guard !host.isEmpty, host != "[]" else { throw invalid("origin URL has no host") }
        guard host.hasPrefix("[") || host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }) else {
            throw invalid("origin URL host '\(host)' has characters a hostname cannot have")
        }
        var port: Int?
        if let portText, !portText.isEmpty {
            guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(portText), (1...65535).contains(number) else {
                throw invalid("origin URL port must be 1...65535")
            }
            port = number
        }
        return (host.lowercased(), port)
    }

    /// Refuses `.`/`..` segments: a normalising hop could otherwise leave the bucket.
    private static func checkedPath(_ path: String) throws(CacheError) -> String {
        let absolute = path.hasPrefix("/") ? path : "/" + path
        for segment in absolute.split(separator: "/", omittingEmptySubsequences: false) where segment == "." || segment == ".." {
            throw invalid("origin path must not contain '.' or '..' segments")
        }
        return absolute
    }

    /// Decodes `%XX` (and `+` as space in queries); malformed escapes and invalid UTF-8 are refused.
    static func percentDecode(_ text: Substring, plusIsSpace: Bool = false) throws(CacheError) -> String {
        guard let out = Hex.percentDecoded(text, plusIsSpace: plusIsSpace) else {
            throw invalid("origin URL has a malformed percent escape")
        }
        guard let decoded = String(validating: out, as: UTF8.self) else { throw invalid("origin URL is not valid UTF-8 once decoded") }
        return decoded
    }

    private static func invalid(_ message: String) -> CacheError { .invalidRequest(message) }
}
