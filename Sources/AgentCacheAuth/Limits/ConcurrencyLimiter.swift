import NIOConcurrencyHelpers

/// Requests in flight per account, in process: a node's own count, used alone without Redis
/// and as `RedisConcurrencyLimiter`'s fallback while Redis is unreachable. O(1) under one lock.
public final class ConcurrencyLimiter: ConcurrencyLimiting {
    private let inFlight = NIOLockedValueBox([String: Int]())

    /// An empty limiter.
    public init() {}

    public func acquire(_ account: String, limit: Int) async -> ConcurrencySlot? {
        acquireNow(account, limit: limit)
    }

    public func release(_ slot: ConcurrencySlot) async {
        releaseNow(slot)
    }

    /// The synchronous form of `acquire`, for the Redis limiter's fallback.
    public func acquireNow(_ account: String, limit: Int) -> ConcurrencySlot? {
        inFlight.withLockedValue { counts in
            let current = counts[account] ?? 0
            guard current < limit else { return nil }
            counts[account] = current + 1
            return ConcurrencySlot(account: account)
        }
    }

    /// Counted in process like any request.
    public func decideNow(_ account: String, limit: Int) -> ImmediateConcurrency {
        acquireNow(account, limit: limit).map { .held($0) } ?? .full
    }

    /// The synchronous form of `release`.
    public func releaseNow(_ slot: ConcurrencySlot) {
        inFlight.withLockedValue { counts in
            let current = (counts[slot.account] ?? 1) - 1
            counts[slot.account] = current > 0 ? current : nil
        }
    }

    /// Slots of `account` in use now.
    public func current(_ account: String) -> Int {
        inFlight.withLockedValue { $0[account] ?? 0 }
    }
}
