import AgentCacheCore
import Logging
import NIOConcurrencyHelpers

/// The shared Redis tier (SPEC §3): entries stored under `ac:<tenant>/<ns>:<gen>:<hex>` as
/// `EntryCodec` bytes with a `PX` expiry, so they survive restarts and every node sees them.
///
/// Never fails a lookup or a store: a Redis failure, an open breaker, a foreign or corrupt
/// value are all misses (reads) or skips (writes), counted in `statistics`. A deletion is
/// published to every node (and logged for nodes not listening), and throws when it cannot be. Each call
/// is one `RedisClient` round trip (one thread-pool hop), bounded by the command timeout.
/// Promotion into the edge tier is the engine's job, not this type's.
public final class RedisTier: CacheTier {
    /// Counters for metrics. Value copy; monotonic.
    public struct Statistics: Sendable, Equatable {
        /// Gets answered with a live entry.
        public var hits = 0
        /// Gets that found nothing usable (absent, expired, corrupt, or Redis failed).
        public var misses = 0
        /// Calls that failed because Redis did (timeout, down, breaker open).
        public var errors = 0
        /// Values under our key that did not decode (foreign writer, truncation, wrong type).
        public var corrupt = 0
        /// Entries written.
        public var sets = 0
        /// Writes skipped because the entry had already expired.
        public var expiredSkips = 0
        /// Deletes sent.
        public var removes = 0

        /// Zeroed counters.
        public init() {}
    }

    /// Always `.redis`.
    public let name: TierName = .redis
    /// The client every command goes through; its health is the tier's health.
    public let client: RedisClient

    private let clock: any CacheClock
    private let maxRawLength: Int
    private let counters = NIOLockedValueBox(Statistics())
    private let logger: Logger

    /// Makes the tier. `maxRawLength` bounds what a decoded header may claim (a hostile value
    /// cannot make us allocate more); `clock` decides expiry and the `PX` left.
    public init(
        client: RedisClient,
        clock: any CacheClock = SystemClock(),
        maxRawLength: Int = 1 << 30,
        logger: Logger = Logger(label: "agentcache.redis.tier")
    ) {
        self.client = client
        self.clock = clock
        self.maxRawLength = maxRawLength
        self.logger = logger
    }

    /// `GET` then decode. A live entry is a hit; anything else (absent, expired, undecodable,
    /// Redis failing) is a miss. Cost: one round trip plus a copy of the value.
    public func get(_ key: CacheKey, namespace: CacheNamespace, generation: UInt64) async -> CacheEntry? {
        let redisKey = RedisKeys.entry(key, namespace: namespace, generation: generation)
        let reply: RedisReply
        do {
            reply = try await client.execute([.string("GET"), .string(redisKey)])
        } catch {
            count { $0.misses += 1; if case .server = error { $0.corrupt += 1 } else { $0.errors += 1 } }
            if case .server(let message) = error {
                logger.debug("redis value is not a string; miss", metadata: ["key": "\(redisKey)", "error": "\(message)"])
            }
            return nil
        }
        guard case .string(let bytes) = reply else {
            count { $0.misses += 1 }
            return nil
        }
        let entry: CacheEntry
        do {
            let decoded = try EntryCodec.decode(bytes, maxRawLength: maxRawLength)
            // The value must be this entry's: one copied under another name, or written
            // before entries kept their key, is a miss (SPEC §2).
            guard decoded.key == key else { throw CodecError.badHeader("the value belongs to another key (or to none)") }
            entry = decoded.entry
        } catch {
            count { $0.misses += 1; $0.corrupt += 1 }
            logger.debug("undecodable redis value; miss", metadata: ["key": "\(redisKey)", "error": "\(error)"])
            return nil
        }
        guard !entry.isExpired(at: clock.nowMillis()) else {
            count { $0.misses += 1 }
            return nil
        }
        count { $0.hits += 1 }
        return entry
    }

    /// `SET key <encoded entry> PX <ms left>`; skipped when the entry is already expired.
    /// Best effort: a failure is counted and forgotten. Cost: one encode and one round trip.
    public func set(_ key: CacheKey, entry: CacheEntry, namespace: CacheNamespace, generation: UInt64) async {
        let remaining = entry.expiresAtMillis - clock.nowMillis()
        guard remaining > 0 else {
            count { $0.expiredSkips += 1 }
            return
        }
        let redisKey = RedisKeys.entry(key, namespace: namespace, generation: generation)
        do {
            _ = try await client.execute([
                .string("SET"), .string(redisKey), .bytes(EntryCodec.encode(entry, key: key)), "PX", RedisArgument(remaining),
            ])
            count { $0.sets += 1 }
        } catch {
            count { $0.errors += 1 }
        }
    }

    /// `DEL key`, the deletion logged in `ac:deletes` and published on `ac:invalidate`, so
    /// every node drops its edge copy (SPEC §4); one pipelined round trip. Throws 503
    /// `SERVICE_UNAVAILABLE` when Redis fails: the deletion is then not acknowledged.
    public func remove(_ key: CacheKey, namespace: CacheNamespace, generation: UInt64) async throws(CacheError) {
        let redisKey = RedisKeys.entry(key, namespace: namespace, generation: generation)
        let message = RedisKeys.deletionMessage(qualifiedNamespace: namespace.qualified, generation: generation, key: key)
        do {
            // On a replica as well before it counts: a failover must not revive the entry.
            let replies = try await client.replicated([
                [.string("DEL"), .string(redisKey)],
                ["XADD", .string(RedisKeys.deletionLog), "MINID", "~", RedisArgument(clock.nowMillis() - RedisKeys.deletionLogMillis), "*", "m", .string(message)],
                ["PUBLISH", .string(RedisKeys.invalidationChannel), .string(message)],
            ])
            if let failed = replies.first(where: { if case .error = $0 { true } else { false } }) {
                throw RedisError.protocolError("\(failed)")
            }
            count { $0.removes += 1 }
        } catch {
            count { $0.errors += 1 }
            throw CacheError(
                .serviceUnavailable,
                "Redis did not take the deletion (unreachable, or no replica confirmed it), so other nodes cannot be told: the entry is deleted on this node, not acknowledged; retry",
                responseHeaders: ["Retry-After": "1"]
            )
        }
    }

    /// Where this node is in `ac:deletes`: nil before it first looked.
    private let deletionCursor = NIOLockedValueBox<String?>(nil)

    /// Applies the deletions logged since this node last looked (after a resubscription: those
    /// published while it was not listening), calling `remove` for each key. The first call
    /// only notes where the log ends (a node that just started holds nothing to drop). When
    /// the node last looked longer ago than the log keeps (`RedisKeys.deletionLogMillis`, less
    /// a minute for clocks), `removeAll` is called instead: it cannot know what it missed.
    /// A log Redis lost holds nothing to apply: a Redis that lost its data has lost the
    /// generations too, and every one is re-created, which hides what a deletion would have.
    /// Returns false when Redis failed (the next resubscription tries again). Cost: two round
    /// trips.
    @discardableResult
    public func catchUpDeletions(remove: (CacheKey) -> Void, removeAll: () -> Void) async -> Bool {
        do {
            guard case .array(let time) = try await client.execute(["TIME"]), time.count == 2,
                let seconds = time[0].text.flatMap({ UInt64($0) }), let micros = time[1].text.flatMap({ UInt64($0) })
            else { return false }
            let now = seconds * 1000 + micros / 1000
            guard let cursor = deletionCursor.withLockedValue({ $0 }) else {
                let newest = Self.entries(try await client.execute(["XREVRANGE", .string(RedisKeys.deletionLog), "+", "-", "COUNT", "1"])).last?.id
                deletionCursor.withLockedValue { $0 = newest ?? "\(now)-0" }
                return true
            }
            if Self.milliseconds(of: cursor) + UInt64(RedisKeys.deletionLogMillis) < now + 60_000 {
                // Away longer than the log keeps: what was missed is unknown.
                removeAll()
                deletionCursor.withLockedValue { $0 = "\(now)-0" }
                return true
            }
            let missed = Self.entries(try await client.execute(["XRANGE", .string(RedisKeys.deletionLog), .string("(" + cursor), "+"]))
            for entry in missed {
                if let deletion = RedisKeys.parseDeletionMessage(entry.message) { remove(deletion.key) }
            }
            if let newest = missed.last?.id { deletionCursor.withLockedValue { $0 = newest } }
            return true
        } catch {
            return false
        }
    }

    /// The (id, message) pairs of an `XRANGE` reply.
    private static func entries(_ reply: RedisReply) -> [(id: String, message: [UInt8])] {
        guard case .array(let items) = reply else { return [] }
        return items.compactMap { item in
            guard case .array(let pair) = item, pair.count == 2, let id = pair[0].text,
                case .array(let fields) = pair[1], fields.count == 2, let message = fields[1].bytes
            else { return nil }
            return (id, message)
        }
    }

    /// The milliseconds part of stream id `id` (`<ms>-<seq>`).
    private static func milliseconds(of id: String) -> UInt64 {
        UInt64(id.split(separator: "-").first ?? "") ?? 0
    }

    /// The client's health: ok, or degraded with the reason. O(1).
    public var health: RedisHealth { client.health }

    /// A copy of the tier's counters. O(1).
    public var statistics: Statistics {
        counters.withLockedValue { $0 }
    }

    private func count(_ update: (inout Statistics) -> Void) {
        counters.withLockedValue { update(&$0) }
    }
}
