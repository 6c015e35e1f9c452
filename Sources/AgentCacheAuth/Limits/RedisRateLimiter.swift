import AgentCacheRedis
import Logging

/// GCRA through Redis: one atomic Lua script per request on `ac:rate:<key>`, using Redis's
/// own `TIME`, so every node shares one bucket and node clocks do not matter. When Redis
/// fails the request is decided by the in-process `fallback` (fail open to per-node limits,
/// never to no limit).
public final class RedisRateLimiter: RateLimiting {
    /// Runs the script, and says when to decide in process instead.
    public let redis: RedisFallback
    /// Decides while Redis is unreachable.
    public let fallback: GCRALimiter

    /// KEYS[1] arrival time (µs); ARGV emission interval, tolerance (µs).
    /// Returns {allowed, ahead, excess} in µs.
    static let script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local emission = tonumber(ARGV[1])
        local tolerance = tonumber(ARGV[2])
        local arrival = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
        if arrival < now then arrival = now end
        local nextArrival = arrival + emission
        if nextArrival - now > tolerance then
            return {0, arrival - now, nextArrival - now - tolerance}
        end
        redis.call('SET', KEYS[1], string.format('%d', nextArrival), 'PX', math.floor(tolerance / 1000) + 1000)
        return {1, nextArrival - now, 0}
        """

    /// Wraps `client`, falling back to `fallback`.
    public init(client: RedisClient, fallback: GCRALimiter = GCRALimiter(), logger: Logger = Logger(label: "agentcache.ratelimit")) {
        self.redis = RedisFallback(client: client, subject: "redis rate limiter", meanwhile: "limiting per node until it is back", logger: logger)
        self.fallback = fallback
    }

    public func acquire(key: String, ratePerSecond: Int) async -> RateDecision {
        // The schedule is kept in microseconds: at most one request per microsecond.
        let rate = min(max(1, ratePerSecond), 1_000_000)
        let emission = Int64(1_000_000 / rate)
        let tolerance = emission * Int64(rate)
        let decided = await redis.attempt { client -> RateDecision? in
            let reply = try await client.execute([
                "EVAL", .string(Self.script), 1, .string(RedisKeys.prefix + "rate:" + key),
                RedisArgument(emission), RedisArgument(tolerance),
            ])
            guard case .array(let values) = reply, values.count == 3,
                let allowed = values[0].integer, let ahead = values[1].integer, let excess = values[2].integer
            else { return nil }
            return .gcra(allowed: allowed == 1, limit: rate, emission: emission, tolerance: tolerance, ahead: ahead, excess: excess)
        }
        return decided ?? fallback.acquireNow(key: key, ratePerSecond: rate)
    }
}
