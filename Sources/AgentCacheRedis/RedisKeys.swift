import AgentCacheCore

/// The Redis key layout of SPEC §3 and §4, in one place so every node agrees.
/// Each function builds one short string.
public enum RedisKeys {
    /// Prefix of every key AgentCache writes.
    public static let prefix = "ac:"
    /// Pub/sub channel carrying `<tenant>/<ns> <generation>` after an invalidation.
    public static let invalidationChannel = "ac:invalidate"

    /// `ac:<tenant>/<ns>:<gen>:<hex>`: where an entry lives.
    public static func entry(_ key: CacheKey, namespace: CacheNamespace, generation: UInt64) -> String {
        "\(prefix)\(namespace.qualified):\(generation):\(key.hex)"
    }

    /// `ac:gen:<tenant>/<ns>`: the namespace's shared generation counter.
    public static func generation(ofQualified qualifiedNamespace: String) -> String {
        "\(prefix)gen:\(qualifiedNamespace)"
    }

    /// The invalidation message: `<qualified> <generation>`.
    public static func invalidationMessage(qualifiedNamespace: String, generation: UInt64) -> String {
        "\(qualifiedNamespace) \(generation)"
    }

    /// Stream of entry deletions (`XADD`, the last `deletionLogMillis` of them), read back by a
    /// node that resubscribes so a deletion published while it was not listening still lands.
    public static let deletionLog = "ac:deletes"
    /// How long `deletionLog` keeps a deletion (`MINID ~`): an hour.
    public static let deletionLogMillis: Int64 = 3_600_000

    /// The deletion message, on the invalidation channel and in `deletionLog`:
    /// `<qualified> <generation> <32 hex digits of the key>`.
    public static func deletionMessage(qualifiedNamespace: String, generation: UInt64, key: CacheKey) -> String {
        "\(qualifiedNamespace) \(generation) \(key.hex)"
    }

    /// Parses a deletion message; nil when it is not one (its last word is not 32 hex digits,
    /// which no generation, at most 20 decimal digits, can be).
    public static func parseDeletionMessage(_ bytes: [UInt8]) -> (qualifiedNamespace: String, generation: UInt64, key: CacheKey)? {
        guard let space = bytes.lastIndex(of: UInt8(ascii: " ")), bytes.count - space - 1 == 32,
            let key = CacheKey(hex: String(decoding: bytes[(space + 1)...], as: UTF8.self)),
            let (name, generation) = parseInvalidationMessage(Array(bytes[..<space]))
        else { return nil }
        return (name, generation, key)
    }

    /// Parses an invalidation message; nil when it is not `<qualified> <generation>`.
    /// Splits at the last space so a qualified name can never be cut short.
    public static func parseInvalidationMessage(_ bytes: [UInt8]) -> (qualifiedNamespace: String, generation: UInt64)? {
        guard let space = bytes.lastIndex(of: UInt8(ascii: " ")), space > 0 else { return nil }
        let name = String(decoding: bytes[..<space], as: UTF8.self)
        guard let generation = UInt64(String(decoding: bytes[(space + 1)...], as: UTF8.self)) else { return nil }
        return (name, generation)
    }
}
