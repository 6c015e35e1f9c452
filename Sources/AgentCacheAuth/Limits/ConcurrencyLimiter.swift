import NIOConcurrencyHelpers

/// Requests in flight per account, in process (a node's own count; across nodes the
/// per-second rate is the shared bound). O(1) under one lock.
public final class ConcurrencyLimiter: Sendable {
    private let inFlight = NIOLockedValueBox([String: Int]())

    /// An empty limiter.
    public init() {}

    /// Takes a slot for `account` when fewer than `limit` are taken; pair with `release`.
    public func acquire(_ account: String, limit: Int) -> Bool {
        inFlight.withLockedValue { counts in
            let current = counts[account] ?? 0
            guard current < limit else { return false }
            counts[account] = current + 1
            return true
        }
    }

    /// Gives back a slot taken by `acquire`.
    public func release(_ account: String) {
        inFlight.withLockedValue { counts in
            let current = (counts[account] ?? 1) - 1
            counts[account] = current > 0 ? current : nil
        }
    }

    /// Slots of `account` in use now.
    public func current(_ account: String) -> Int {
        inFlight.withLockedValue { $0[account] ?? 0 }
    }
}
