import AgentCacheCore
import AgentCacheRedis
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// GCRA through Redis: one atomic Lua script on `ac:rate:<key>`, using Redis's own `TIME`, so
/// every node shares one bucket and node clocks do not matter. When Redis fails the request
/// is decided by the in-process `fallback` (fail open to per-node limits, never to no limit).
///
/// Fast keys reserve their allowance in small batches: one script run takes up to
/// `batch(for:)` requests (1/20 of the rate, at least 1 and at most 100: one at a time below
/// 40 req/s, so small limits stay exact) and this node hands them out in process (`.now`)
/// for up to `reserveMillis`; once half a batch is used the next is reserved in the background,
/// so a steady client does not wait for Redis. While Redis fails, requests are decided in
/// process at once and one background run at a time probes it. Every request admitted was taken from the shared bucket, so over any window the nodes admit at most what it allows plus what they
/// held reserved when the window began; requests reserved and left unused when their
/// reservation lapses are not admitted by anyone.
public final class RedisRateLimiter: RateLimiting {
    /// Runs the script, and says when to decide in process instead.
    public let redis: RedisFallback
    /// Decides while Redis is unreachable.
    public let fallback: GCRALimiter

    /// KEYS[1] arrival time (µs); ARGV emission interval, tolerance (µs), requests wanted.
    /// Returns {granted, ahead, excess} in µs: granted ≥ 1 requests reserved, or 0 refused.
    static let script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local emission = tonumber(ARGV[1])
        local tolerance = tonumber(ARGV[2])
        local wanted = tonumber(ARGV[3])
        local arrival = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
        if arrival < now then arrival = now end
        local nextArrival = arrival + emission
        if nextArrival - now > tolerance then
            return {0, arrival - now, nextArrival - now - tolerance}
        end
        local granted = math.floor((tolerance - (arrival - now)) / emission)
        if granted > wanted then granted = wanted end
        if granted < 1 then granted = 1 end
        nextArrival = arrival + granted * emission
        redis.call('SET', KEYS[1], string.format('%d', nextArrival), 'PX', math.floor(tolerance / 1000) + 1000)
        return {granted, nextArrival - now, 0}
        """

    /// Requests reserved but not yet handed out, per key.
    private struct Reserve {
        var left: Int
        var expiresAtNanos: UInt64
        /// The requests the last script run granted.
        var batch: Int
        var decision: RateDecision
    }

    private let reserves = NIOLockedValueBox([String: Reserve]())

    /// How long a reserved batch may be handed out. Its requests are taken from the shared
    /// bucket when reserved, so holding them longer admits nothing extra; the bound keeps the
    /// `X-RateLimit-Remaining` a node reports from going stale.
    public static let reserveMillis: UInt64 = 1_000

    /// Requests one script run reserves for a key limited to `rate` per second.
    public static func batch(for rate: Int) -> Int {
        min(100, max(1, rate / 20))
    }

    /// Wraps `client`, falling back to `fallback`.
    public init(client: RedisClient, fallback: GCRALimiter = GCRALimiter(), logger: Logger = Logger(label: "agentcache.ratelimit")) {
        self.redis = RedisFallback(client: client, subject: "redis rate limiter", meanwhile: "limiting per node until it is back", logger: logger)
        self.fallback = fallback
    }

    /// Reservations running in the background: a batch running low is refilled ahead, so a
    /// steady client never waits for Redis; while Redis is down, one run at a time probes it.
    private let refills = BackgroundRefresh<String>()

    /// From this node's reserved batch for `key` when it holds an unexpired one (`.now`: a
    /// lock and a lookup; the next batch is reserved in the background once half of this one
    /// is used). Else one script run reserving the next batch; but while Redis is failing,
    /// decided in process at once (`fallback`), with one background run finding out when
    /// Redis is back, so an outage costs no request a command timeout after the first.
    public func acquire(key: String, ratePerSecond: Int) -> Eventual<RateDecision> {
        if let (reserved, low) = takeReserved(key: key, ratePerSecond: ratePerSecond) {
            if low { refill(key: key, ratePerSecond: ratePerSecond) }
            return .value(reserved)
        }
        // Redis failing: decided in process rather than waiting for it. (Not while a refill
        // is merely in flight: a client faster than a round trip would then get per-node
        // limits on top of the shared bucket.)
        if redis.isDown {
            refill(key: key, ratePerSecond: ratePerSecond)
            return .value(fallback.decide(key: key, ratePerSecond: ratePerSecond))
        }
        return .later { [self] in
            .success(await reserve(key: key, ratePerSecond: ratePerSecond) ?? fallback.decide(key: key, ratePerSecond: ratePerSecond))
        }
    }

    /// Reserves the next batch of `key` in the background, keeping all of it for later
    /// requests; nothing when a reservation of `key` is running already.
    private func refill(key: String, ratePerSecond: Int) {
        refills.start(key) { [self] in
            _ = await reserve(key: key, ratePerSecond: ratePerSecond, keepAll: true)
        }
    }

    /// Runs the script for the next batch of `key` and hands out its first request (unless
    /// `keepAll`: a refill ahead, whose whole batch is kept for later requests). Nil when
    /// Redis failed: the caller decides in process (a refill decides nothing, so it charges
    /// no request to the in-process limiter).
    private func reserve(key: String, ratePerSecond: Int, keepAll: Bool = false) async -> RateDecision? {
        let (rate, emission, tolerance) = RateDecision.schedule(ratePerSecond: ratePerSecond)
        let wanted = Self.batch(for: rate)
        let decided = await redis.attempt { client -> (RateDecision, granted: Int)? in
            let reply = try await client.execute([
                "EVAL", .string(Self.script), 1, .string(RedisKeys.prefix + "rate:" + key),
                RedisArgument(emission), RedisArgument(tolerance), RedisArgument(Int64(wanted)),
            ])
            guard case .array(let values) = reply, values.count == 3,
                let granted = values[0].integer, let ahead = values[1].integer, let excess = values[2].integer
            else { return nil }
            let decision = RateDecision.gcra(allowed: granted > 0, limit: rate, emission: emission, tolerance: tolerance, ahead: ahead, excess: excess)
            return (decision, Int(granted))
        }
        guard case (var decision, let granted)? = decided else { return nil }
        let kept = keepAll ? granted : granted - 1
        if kept > 0 {
            let now = NIODeadline.now().uptimeNanoseconds
            reserves.withLockedValue { reserves in
                // Concurrent refills add up rather than drop what another one reserved.
                let held = reserves[key].map { $0.expiresAtNanos > now ? $0.left : 0 } ?? 0
                reserves[key] = Reserve(left: held + kept, expiresAtNanos: now + Self.reserveMillis * 1_000_000, batch: granted, decision: decision)
            }
            decision.remaining += kept
        }
        return decision
    }

    /// One request from this node's reserved batch for `key`, and whether the batch is down to
    /// half (time to reserve the next), if it holds an unexpired one; nil otherwise. A lock
    /// and a lookup.
    private func takeReserved(key: String, ratePerSecond: Int) -> (RateDecision, low: Bool)? {
        let now = NIODeadline.now().uptimeNanoseconds
        return reserves.withLockedValue { reserves -> (RateDecision, low: Bool)? in
            guard var reserve = reserves[key], reserve.decision.limit == RateDecision.schedule(ratePerSecond: ratePerSecond).rate else { return nil }
            guard reserve.left > 0, now < reserve.expiresAtNanos else {
                reserves[key] = nil
                return nil
            }
            reserve.left -= 1
            reserves[key] = reserve.left > 0 ? reserve : nil
            var decision = reserve.decision
            // What the shared bucket has left plus what this node still holds.
            decision.remaining += reserve.left
            // Half used: the next batch is reserved before this one runs out. (Not by time: a
            // slow client's batch lapses, and reserving ahead for it would waste the bucket.)
            return (decision, reserve.left * 2 < reserve.batch)
        }
    }
}
