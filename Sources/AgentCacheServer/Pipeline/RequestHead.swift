import AgentCacheAuth
import AgentCacheCore
import NIOCore

/// What the server reads from a request head, read once and the same way for both entry
/// points (the event-loop dispatcher and the router): the credential, the admin bearer token,
/// the client namespace and the client address.
///
/// A header the server reads (`X-API-Key`, `Authorization`, `X-Cache-Namespace`) sent more
/// than once with different values is 400 `INVALID_REQUEST` (SPEC §1): which one counts must
/// never depend on the code path. Cost: one scan of the three names. A class: every step of a
/// request hands it on, and a reference is one retain where its strings would cost one each.
final class RequestHead: Sendable {
    /// `X-API-Key`, trimmed.
    let apiKey: String?
    /// `Authorization`, as sent.
    let authorization: String?
    /// `X-Cache-Namespace`, as sent.
    let namespace: String?
    /// `Origin` (a browser page's) and `Host`, as sent.
    let origin: String?
    let host: String?
    /// The first `X-Forwarded-For` entry, read behind a trusted proxy (`--trust-forwarded-for`).
    private let forwardedFor: String?
    /// The connection's peer.
    private let remote: SocketAddress?

    /// Reads the head whose header values `values(name)` lists (all values of a name,
    /// case-insensitive, in order), from `remote`.
    init(values: (String) -> [String], remote: SocketAddress?, trustForwardedFor: Bool) throws(CacheError) {
        // An empty X-API-Key is no key: `Authorization` may still carry one.
        apiKey = try Self.single("X-API-Key", values).map(\.trimmingSpaces).flatMap { $0.isEmpty ? nil : $0 }
        authorization = try Self.single("Authorization", values)
        namespace = try Self.single("X-Cache-Namespace", values)
        origin = try Self.single("Origin", values)
        host = values("Host").first
        if trustForwardedFor, let forwarded = values("X-Forwarded-For").first, let first = forwarded.split(separator: ",").first {
            forwardedFor = String(first).trimmingSpaces
        } else {
            forwardedFor = nil
        }
        self.remote = remote
        // Two different keys in two headers: which one counts must not be a guess (SPEC §1's
        // rule for a header sent twice). An admin token in `Authorization` is not a key.
        if let apiKey, let bearer = bearerToken, bearer != apiKey, (try? APIKey.parse(bearer)) != nil {
            throw CacheError.invalidRequest("an API key was sent more than once with different values (X-API-Key and Authorization: Bearer); send one")
        }
    }

    /// The client's address for IP allow-lists: the first `X-Forwarded-For` entry behind a
    /// trusted proxy, else the connection's peer. Formatted when asked (only keys with an
    /// allow-list ask).
    var clientAddress: String? {
        forwardedFor ?? remote?.ipAddress
    }

    /// The API key: `X-API-Key`, else the token of `Authorization: Bearer <key>`.
    var credential: String? {
        apiKey ?? bearerToken
    }

    /// The token of `Authorization: Bearer <token>` (scheme case-insensitive), trimmed.
    var bearerToken: String? {
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingSpaces
    }

    /// The one value of `name`, nil when absent; 400 when it is sent with different values.
    private static func single(_ name: String, _ values: (String) -> [String]) throws(CacheError) -> String? {
        let all = values(name)
        guard let first = all.first else { return nil }
        for other in all.dropFirst() where other != first {
            throw CacheError.invalidRequest("the \(name) header was sent more than once with different values; send it once")
        }
        return first
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        // Most values have nothing to trim: no copy then.
        guard let first = utf8.first, let last = utf8.last else { return self }
        if first != UInt8(ascii: " "), first != UInt8(ascii: "\t"), last != UInt8(ascii: " "), last != UInt8(ascii: "\t") { return self }
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
