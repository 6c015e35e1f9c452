import AgentCacheCore
import AgentCacheRedis
import Logging

/// Requests in flight per account shared by every node: a sorted set `ac:inflight:<account>`
/// of leases (member = a random request id, score = when the lease ends, in Redis's own
/// milliseconds). `acquire` is one atomic Lua script: drop expired leases, admit when fewer
/// than `limit` remain, add a lease of `leaseMillis`. `release` removes the lease. A node
/// that dies holding slots loses them after `leaseMillis` (30 s by default), not forever.
/// Times come from Redis `TIME` inside the script, so node clocks do not matter.
///
/// A request running longer than its lease stops counting after `leaseMillis`; for
/// ordinary cache requests (milliseconds) that never happens, and a lease long enough for
/// every request would keep a crashed node's slots taken as long.
///
/// When Redis fails the in-process `fallback` decides (per node; fail open to per-node
/// limits, never to no limit) and the slot is released there. Cost: one round trip each
/// for acquire and release; the script is O(log n) in the account's leases.
public final class RedisConcurrencyLimiter: ConcurrencyLimiting {
    /// Runs the script, and says when to decide in process instead.
    public let redis: RedisFallback
    /// Decides while Redis is unreachable.
    public let fallback: ConcurrencyLimiter
    /// How long a lease counts without a release.
    public let leaseMillis: Int64

    /// Default lease: 30 s, far beyond a cache request, short enough that a crashed node's
    /// slots come back soon.
    public static let defaultLeaseMillis: Int64 = 30_000

    /// KEYS[1] the account's leases; ARGV limit, lease (ms), request id. Returns 1 admitted, 0 full.
    static let script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
        if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
        redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
        redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
        return 1
        """

    /// Wraps `client`, falling back to `fallback`; leases last `leaseMillis`.
    public init(
        client: RedisClient,
        fallback: ConcurrencyLimiter = ConcurrencyLimiter(),
        leaseMillis: Int64 = defaultLeaseMillis,
        logger: Logger = Logger(label: "agentcache.concurrency")
    ) {
        self.redis = RedisFallback(client: client, subject: "redis concurrency limiter", meanwhile: "limiting in-flight requests per node until it is back", logger: logger)
        self.fallback = fallback
        self.leaseMillis = leaseMillis
    }

    /// The sorted set holding `account`'s leases.
    public static func key(account: String) -> String {
        RedisKeys.prefix + "inflight:" + account
    }

    /// One script run (after a suspension); in process while Redis fails.
    public func acquire(_ account: String, limit: Int) -> Eventual<ConcurrencySlot?> {
        .later { [self] in
            let leaseID = Self.newLeaseID()
            let admitted = await redis.attempt { client -> Bool? in
                let reply = try await client.execute([
                    "EVAL", .string(Self.script), 1, .string(Self.key(account: account)),
                    RedisArgument(limit), RedisArgument(leaseMillis), .string(leaseID),
                ])
                return reply.integer.map { $0 == 1 }
            }
            guard let admitted else { return .success(fallback.take(account, limit: limit)) }
            return .success(admitted ? ConcurrencySlot(account: account, leaseID: leaseID) : nil)
        }
    }

    /// One `ZREM` for a lease (after a suspension); at hand for a slot taken in process.
    public func release(_ slot: ConcurrencySlot) -> Eventual<Void> {
        guard let leaseID = slot.leaseID else {
            fallback.giveBack(slot)
            return .done
        }
        return .later { [self] in
            // When this fails the lease simply runs out after `leaseMillis`.
            _ = await redis.attempt { client in
                try await client.execute(["ZREM", .string(Self.key(account: slot.account)), .string(leaseID)]).integer
            }
            return .success(())
        }
    }

    /// 128 random bits as hex: unique across nodes without coordination.
    static func newLeaseID() -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}
