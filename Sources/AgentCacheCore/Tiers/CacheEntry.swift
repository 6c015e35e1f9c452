/// An entry as every tier exchanges it: the stored value, its lifetime in epoch milliseconds,
/// and what the answer cost to produce (added to the savings on every hit).
public struct CacheEntry: Sendable, Equatable {
    /// The value, raw or LZ4-compressed.
    public var value: StoredValue
    /// When the entry was first stored.
    public var createdAtMillis: Int64
    /// When it stops being served.
    public var expiresAtMillis: Int64
    /// The tokens and dollars the stored answer cost; `.zero` when unknown.
    public var cost: AnswerCost

    /// Makes an entry.
    public init(value: StoredValue, createdAtMillis: Int64, expiresAtMillis: Int64, cost: AnswerCost = .zero) {
        self.value = value
        self.createdAtMillis = createdAtMillis
        self.expiresAtMillis = expiresAtMillis
        self.cost = cost
    }

    /// Whether the entry is past its expiry at `now`. An entry is dead from its expiry instant on.
    @inlinable
    public func isExpired(at now: Int64) -> Bool { now >= expiresAtMillis }

    /// Whole seconds since creation at `now` (never negative).
    public func ageSeconds(at now: Int64) -> Int64 { max(0, now - createdAtMillis) / 1000 }

    /// Whole seconds left at `now`, rounded up so a live entry never reports 0.
    public func ttlRemainingSeconds(at now: Int64) -> Int64 {
        let left = expiresAtMillis - now
        return left <= 0 ? 0 : (left + 999) / 1000
    }
}
