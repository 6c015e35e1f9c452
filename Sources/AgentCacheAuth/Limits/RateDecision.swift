import AgentCacheCore

/// One rate-limiter answer, with what the `X-RateLimit-*` headers report.
public struct RateDecision: Sendable, Equatable {
    /// Whether the request may proceed.
    public var allowed: Bool
    /// Requests per second the key is allowed (`X-RateLimit-Limit`).
    public var limit: Int
    /// Requests that could be made right now without waiting (`X-RateLimit-Remaining`).
    public var remaining: Int
    /// Whole seconds until the bucket is full again (`X-RateLimit-Reset`; relative, not epoch).
    public var resetSeconds: Int
    /// Whole seconds (≥ 1) to wait before retrying, when refused (`Retry-After`).
    public var retryAfterSeconds: Int

    /// `X-RateLimit-Limit/Remaining/Reset` (Reset: seconds until the bucket is full, relative),
    /// the one spelling of these headers for answers and errors. Three integer formats.
    public var headerPairs: [(name: String, value: String)] {
        [("X-RateLimit-Limit", String(limit)), ("X-RateLimit-Remaining", String(remaining)), ("X-RateLimit-Reset", String(resetSeconds))]
    }

    /// The GCRA schedule of `ratePerSecond`, in microseconds: the rate clamped to 1...1 000 000
    /// (at most one request per microsecond), the emission interval and the tolerance
    /// (emission × burst, burst = the rate).
    static func schedule(ratePerSecond: Int) -> (rate: Int, emission: Int64, tolerance: Int64) {
        let rate = min(max(1, ratePerSecond), 1_000_000)
        let emission = Int64(1_000_000 / rate)
        return (rate, emission, emission * Int64(rate))
    }

    /// The decision for a GCRA state, all in microseconds: `emission` between requests,
    /// `tolerance` = emission × burst, `ahead` how far the theoretical arrival time is past now
    /// after the request (or before it, when refused), `excess` how far past the tolerance.
    static func gcra(allowed: Bool, limit: Int, emission: Int64, tolerance: Int64, ahead: Int64, excess: Int64) -> RateDecision {
        let ahead = max(0, ahead)
        return RateDecision(
            allowed: allowed,
            limit: limit,
            remaining: allowed ? Int(max(0, (tolerance - ahead) / emission)) : 0,
            resetSeconds: Int((ahead + 999_999) / 1_000_000),
            retryAfterSeconds: allowed ? 0 : max(1, Int((excess + 999_999) / 1_000_000))
        )
    }
}

/// Something that decides whether one more request of `key` fits `ratePerSecond`
/// (burst = `ratePerSecond`): in process (`GCRALimiter`) or shared through Redis.
public protocol RateLimiting: Sendable {
    /// Takes one request from `key`'s allowance if it fits: at hand (`.now`) in process or
    /// from an allowance this node holds; after one round trip through Redis otherwise.
    func acquire(key: String, ratePerSecond: Int) -> Eventual<RateDecision>
}
