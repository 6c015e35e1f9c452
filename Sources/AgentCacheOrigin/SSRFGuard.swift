import AgentCacheCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decides whether an origin URL may be fetched, before any connection is made: the host
/// must be allow-listed, and every address it resolves to must be public (not loopback,
/// private, link-local incl. the 169.254.169.254 metadata address, CGNAT, unique-local,
/// unspecified or multicast) unless that exact host was explicitly allow-listed.
/// Cost: one `getaddrinfo` on NIO's blocking pool per check of a non-explicit host.
///
/// Known gap: the HTTP client resolves the name again when it connects, so a DNS answer
/// that changes between the two lookups (rebinding) is not caught; allow-listing only hosts
/// you control bounds that risk.
public struct SSRFGuard: Sendable {
    /// Hosts that may be fetched at all (lowercased): the endpoint's and the explicit ones.
    public let allowedHosts: Set<String>
    /// Hosts named with `--origin-allow-host`: trusted even when they resolve to private addresses.
    public let explicitHosts: Set<String>

    /// A guard allowing `explicitHosts` (trusted as named) and `endpointHost` (address-checked).
    public init(explicitHosts: [String], endpointHost: String?) {
        let explicit = Set(explicitHosts.map { $0.lowercased() })
        self.explicitHosts = explicit
        allowedHosts = explicit.union(endpointHost.map { [$0.lowercased()] } ?? [])
    }

    /// Throws `INVALID_REQUEST` when `url` must not be fetched: `checkHost`, then
    /// `checkAddresses`.
    public func check(_ url: OriginURL) async throws(CacheError) {
        try checkHost(url)
        try await checkAddresses(url)
    }

    /// Throws `INVALID_REQUEST` unless `url`'s host is allow-listed. Two set lookups.
    public func checkHost(_ url: OriginURL) throws(CacheError) {
        guard allowedHosts.contains(url.host) else {
            throw .invalidRequest("origin host '\(url.host)' is not allow-listed (--origin-allow-host)")
        }
    }

    /// Throws `INVALID_REQUEST` when `url`'s host, unless explicitly allow-listed, resolves to
    /// no address or to a non-public one. One `getaddrinfo` on NIO's blocking pool: call it
    /// only before connecting, not for answers served from the cache.
    public func checkAddresses(_ url: OriginURL) async throws(CacheError) {
        if explicitHosts.contains(url.host) { return }
        let addresses = await Self.resolve(url.hostname)
        guard !addresses.isEmpty else { throw .invalidRequest("origin host '\(url.host)' does not resolve") }
        if let forbidden = addresses.first(where: Self.isForbidden) {
            throw .invalidRequest(
                "origin host '\(url.host)' resolves to a non-public address (\(Self.describe(forbidden))); allow-list it explicitly with --origin-allow-host to fetch it"
            )
        }
    }

    /// An address as raw bytes: 4 for IPv4, 16 for IPv6.
    public typealias Address = [UInt8]

    /// Whether `address` is one an origin fetch must never reach.
    public static func isForbidden(_ address: Address) -> Bool {
        if address.count == 4 { return isForbiddenV4(address) }
        guard address.count == 16 else { return true }
        // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) carry a v4 address.
        if address[0..<10].allSatisfy({ $0 == 0 }) && (address[10...11] == [0xFF, 0xFF] || address[10...11] == [0, 0]) {
            return isForbiddenV4(Array(address[12...]))
        }
        if address.allSatisfy({ $0 == 0 }) { return true }  // ::
        if address[0..<15].allSatisfy({ $0 == 0 }) && address[15] == 1 { return true }  // ::1
        if address[0] & 0xFE == 0xFC { return true }  // fc00::/7 unique-local
        if address[0] == 0xFE && address[1] & 0xC0 == 0x80 { return true }  // fe80::/10 link-local
        if address[0] == 0xFF { return true }  // multicast
        return false
    }

    /// Dotted IPv4 or colon-separated hex IPv6, for messages.
    static func describe(_ address: Address) -> String {
        if address.count == 4 { return address.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: address.count, by: 2).map { String(UInt16(address[$0]) << 8 | UInt16(address[$0 + 1]), radix: 16) }
            .joined(separator: ":")
    }

    private static func isForbiddenV4(_ a: Address) -> Bool {
        switch (a[0], a[1]) {
        case (0, _), (10, _), (127, _): true  // this network, private, loopback
        case (169, 254): true  // link-local, cloud metadata
        case (172, 16...31), (192, 168): true  // private
        case (100, 64...127): true  // CGNAT
        case (224...255, _): true  // multicast, reserved, broadcast
        default: false
        }
    }

    /// Every address `host` resolves to (empty when it does not).
    static func resolve(_ host: String) async -> [Address] {
        (try? await NIOThreadPool.singleton.runIfActive { () -> [Address] in
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var result: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
            defer { freeaddrinfo(first) }
            var addresses: [Address] = []
            var cursor: UnsafeMutablePointer<addrinfo>? = first
            while let info = cursor {
                if let sockaddr = info.pointee.ai_addr {
                    if info.pointee.ai_family == AF_INET {
                        sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                            withUnsafeBytes(of: v4.pointee.sin_addr) { addresses.append(Array($0)) }
                        }
                    } else if info.pointee.ai_family == AF_INET6 {
                        sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                            withUnsafeBytes(of: v6.pointee.sin6_addr) { addresses.append(Array($0)) }
                        }
                    }
                }
                cursor = info.pointee.ai_next
            }
            return addresses
        }) ?? []
    }
}
