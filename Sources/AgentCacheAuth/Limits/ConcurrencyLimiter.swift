import AgentCacheCore
import NIOConcurrencyHelpers

/// Requests in flight per account, in process: a node's own count, used alone without Redis
/// and as `RedisConcurrencyLimiter`'s fallback while Redis is unreachable. O(1) under one lock.
public final class ConcurrencyLimiter: ConcurrencyLimiting {
    private let inFlight = NIOLockedValueBox([String: Int]())

    /// An empty limiter.
    public init() {}

    /// At hand: one lock.
    public func acquire(_ account: String, limit: Int) -> Eventual<ConcurrencySlot?> {
        .value(take(account, limit: limit))
    }

    /// At hand: one lock.
    public func release(_ slot: ConcurrencySlot) -> Eventual<Void> {
        giveBack(slot)
        return .done
    }

    /// Takes a slot of `account` under the lock, or nil when `limit` are taken.
    func take(_ account: String, limit: Int) -> ConcurrencySlot? {
        inFlight.withLockedValue { counts in
            let current = counts[account] ?? 0
            guard current < limit else { return nil }
            counts[account] = current + 1
            return ConcurrencySlot(account: account)
        }
    }

    /// Gives back a slot under the lock.
    func giveBack(_ slot: ConcurrencySlot) {
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
