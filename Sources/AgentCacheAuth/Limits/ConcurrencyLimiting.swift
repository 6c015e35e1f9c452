import AgentCacheCore

/// Counts requests in flight per account: `acquire` takes a slot when fewer than `limit` are
/// taken, `release` gives it back. In process (`ConcurrencyLimiter`, at hand) or shared by
/// every node through Redis (`RedisConcurrencyLimiter`, one round trip each).
public protocol ConcurrencyLimiting: Sendable {
    /// A slot of `account`, or nil when `limit` slots are taken already. Pair with `release`.
    func acquire(_ account: String, limit: Int) -> Eventual<ConcurrencySlot?>
    /// Gives back a slot taken by `acquire`.
    func release(_ slot: ConcurrencySlot) -> Eventual<Void>
}

/// One request's hold on its account's concurrency limit.
public struct ConcurrencySlot: Sendable, Hashable {
    /// The account the slot counts against.
    public let account: String
    /// The lease's member in Redis; nil for a slot held in process (taken by a node alone,
    /// including while Redis was unreachable), so it is released where it was taken.
    public let leaseID: String?

    /// A slot of `account`, leased in Redis as `leaseID` when not nil.
    public init(account: String, leaseID: String? = nil) {
        self.account = account
        self.leaseID = leaseID
    }
}
