import AgentCacheCore
import Logging
import NIOConcurrencyHelpers

/// The shared Redis tier (SPEC §3): entries stored under `ac:<tenant>/<ns>:<gen>:<hex>` as
/// `EntryCodec` bytes with a `PX` expiry, so they survive restarts and every node sees them.
///
/// Never throws and never fails a request: a Redis failure, an open breaker, a foreign or
/// corrupt value are all misses (reads) or skips (writes), counted in `statistics`. Each call
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
            entry = try EntryCodec.decode(bytes, maxRawLength: maxRawLength)
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
                .string("SET"), .string(redisKey), .bytes(EntryCodec.encode(entry)), "PX", RedisArgument(remaining),
            ])
            count { $0.sets += 1 }
        } catch {
            count { $0.errors += 1 }
        }
    }

    /// `DEL key`. Best effort. One round trip.
    public func remove(_ key: CacheKey, namespace: CacheNamespace, generation: UInt64) async {
        let redisKey = RedisKeys.entry(key, namespace: namespace, generation: generation)
        do {
            _ = try await client.execute([.string("DEL"), .string(redisKey)])
            count { $0.removes += 1 }
        } catch {
            count { $0.errors += 1 }
        }
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
