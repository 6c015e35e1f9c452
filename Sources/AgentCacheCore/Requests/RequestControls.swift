/// The control members `stream`, `cache` and `tags` of a get/check/explain/set body (SPEC §1,
/// §4, §8): they steer the cache and are never key material. Validated here; a set's
/// `cache.tokens` and `cache.cost_usd` are what its answer cost (`AnswerCost`); what the others
/// will do is planned, so today none of them changes an answer, and a `cache` member whose
/// silent omission would serve or store what the request forbids is refused instead of ignored.
public struct RequestControls: Sendable, Equatable {
    /// Most tags one set may carry (SPEC §4).
    public static let maxTags = 32
    /// Longest tag, in UTF-8 bytes (SPEC §4).
    public static let maxTagBytes = 128

    /// `"stream": true` asks for a hit as Server-Sent Events (planned: answered as JSON today).
    public var stream = false
    /// The `tags` of a set (planned: accepted, not yet recorded with the entry).
    public var tags: [String] = []
    /// The `cache` object's members as sent (validated): `tokens` and `cost_usd` (what the answer
    /// cost, for the savings accounting), `stale_while_revalidate` and `lease_ms` (planned), and
    /// `refresh` / `no_store` only as `false`.
    public var cache: [JSONMember] = []

    /// No controls.
    public init() {}

    /// `cache.tokens`: the tokens the set's answer cost, when declared (a whole number).
    public var declaredTokens: Int64? {
        cacheNumber("tokens").map { Int64($0) }
    }

    /// `cache.cost_usd`: what the set's answer cost in US dollars, when declared.
    public var declaredCostUSD: Double? {
        cacheNumber("cost_usd")
    }

    private func cacheNumber(_ name: String) -> Double? {
        cache.first { $0.key == name }?.value.doubleValue
    }

    /// Validates the three members' values (nil when absent; JSON `null` counts as absent).
    /// Throws 400 `INVALID_REQUEST` naming the member. O(size of `tags` and `cache`).
    public init(stream: JSONValue?, cache: JSONValue?, tags: JSONValue?) throws(CacheError) {
        switch stream {
        case nil, .null?: break
        case .bool(let flag)?: self.stream = flag
        case let other?: throw .invalidRequest("stream must be a boolean, got \(other.typeName)")
        }
        switch tags {
        case nil, .null?: break
        case .array(let list)?: self.tags = try Self.tags(list)
        case let other?: throw .invalidRequest("tags must be an array of strings, got \(other.typeName)")
        }
        switch cache {
        case nil, .null?: break
        case .object(let members)?: self.cache = try Self.cacheMembers(members)
        case let other?: throw .invalidRequest("cache must be an object, got \(other.typeName)")
        }
    }

    private static func tags(_ list: [JSONValue]) throws(CacheError) -> [String] {
        guard list.count <= maxTags else {
            throw .invalidRequest("tags holds \(list.count) tags; at most \(maxTags) are allowed")
        }
        var tags: [String] = []
        tags.reserveCapacity(list.count)
        for (index, value) in list.enumerated() {
            guard case .string(let tag) = value else {
                throw .invalidRequest("tags[\(index)] must be a string, got \(value.typeName)")
            }
            guard !tag.isEmpty, tag.utf8.count <= maxTagBytes else {
                throw .invalidRequest("tags[\(index)] must be 1 to \(maxTagBytes) bytes long, got \(tag.utf8.count)")
            }
            tags.append(tag)
        }
        return tags
    }

    private static func cacheMembers(_ members: [JSONMember]) throws(CacheError) -> [JSONMember] {
        for member in members {
            switch member.key {
            case "tokens":
                // Whole, and within what a Double counts exactly.
                guard let number = member.value.doubleValue, number >= 0, number <= 9_007_199_254_740_992, number.rounded() == number else {
                    throw .invalidRequest("cache.tokens must be a whole number of at least 0, got \(member.value.typeName)")
                }
            case "cost_usd", "stale_while_revalidate", "lease_ms":
                guard let number = member.value.doubleValue, number >= 0, number.isFinite else {
                    throw .invalidRequest("cache.\(member.key) must be a number of at least 0, got \(member.value.typeName)")
                }
            case "refresh", "no_store":
                // Ignoring `true` would answer a hit the caller refused, or store what it said not to.
                guard case .bool(let flag) = member.value else {
                    throw .invalidRequest("cache.\(member.key) must be a boolean, got \(member.value.typeName)")
                }
                guard !flag else { throw .invalidRequest("cache.\(member.key) is not supported yet") }
            case "max_age":
                throw .invalidRequest("cache.max_age is not supported yet")
            default:
                throw .invalidRequest(
                    "cache has an unknown member \(member.key.quotedForMessage); known: tokens, cost_usd, stale_while_revalidate, lease_ms, refresh, no_store, max_age"
                )
            }
        }
        return members
    }
}
