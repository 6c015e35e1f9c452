#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AgentCacheCore

/// A key's IP allow-list: exact addresses or CIDR blocks, IPv4 and IPv6 (seed 002's IP
/// restriction). IPv4-mapped IPv6 peers (`::ffff:a.b.c.d`) match IPv4 entries.
/// Matching is O(entries), no allocation beyond parsing the peer once.
public struct IPAllowList: Sendable, Equatable {
    /// One allowed block: network bytes (4 or 16) and prefix length.
    struct Block: Sendable, Equatable {
        var network: [UInt8]
        var prefix: Int

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == network.count else { return false }
            var bits = prefix
            for index in 0..<network.count where bits > 0 {
                let take = min(8, bits)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
                if address[index] & mask != network[index] & mask { return false }
                bits -= take
            }
            return true
        }
    }

    /// The entries as given (for the info answer and persistence).
    public let entries: [String]
    private let blocks: [Block]

    /// Parses `entries`; throws `INVALID_REQUEST` naming the first one that is not an IP or CIDR.
    public init(_ entries: [String]) throws(CacheError) {
        var blocks: [Block] = []
        for entry in entries {
            guard let block = Self.parseBlock(entry) else {
                throw .invalidRequest("allowed_ips entry '\(entry)' is not an IP address or CIDR block (e.g. 203.0.113.7, 10.0.0.0/8, 2001:db8::/32)")
            }
            blocks.append(block)
        }
        self.entries = entries
        self.blocks = blocks
    }

    /// An empty list admits everyone.
    public var isEmpty: Bool { blocks.isEmpty }

    /// Whether `address` (textual IPv4 or IPv6) is allowed. An unparsable address is refused.
    public func allows(_ address: String) -> Bool {
        guard !blocks.isEmpty else { return true }
        guard let bytes = Self.parseAddress(address) else { return false }
        return blocks.contains { $0.contains(bytes) }
    }

    static func parseBlock(_ entry: String) -> Block? {
        let parts = entry.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = parseAddress(String(parts[0])) else { return nil }
        let maxPrefix = address.count * 8
        var prefix = maxPrefix
        if parts.count == 2 {
            guard let given = Int(parts[1]), (0...maxPrefix).contains(given) else { return nil }
            prefix = given
        }
        return Block(network: address, prefix: prefix)
    }

    /// The 4 or 16 network bytes of `text`; IPv4-mapped IPv6 becomes its 4 IPv4 bytes.
    static func parseAddress(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return Array(bytes[12..<16])
        }
        return bytes
    }
}
