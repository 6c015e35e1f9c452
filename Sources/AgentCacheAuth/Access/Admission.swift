/// A request let through by `KeyAuthority.admit`: who it acts for, its limits, and the rate
/// state the `X-RateLimit-*` headers report. Hand it back to `KeyAuthority.finish`.
public struct Admission: Sendable {
    /// The key's record (tenant = `record.namespace`).
    public let record: KeyRecord
    /// The key's tier limits, as this server configures them.
    public let limits: TierLimits
    /// The rate decision that admitted the request.
    public let rate: RateDecision
    /// The concurrency slot taken, which `finish` releases; nil for tiers without the limit.
    let slot: ConcurrencySlot?

    /// `X-RateLimit-Limit`, `-Remaining`, `-Reset` for this request.
    public var headers: [String: String] { KeyAuthority.rateHeaders(rate) }
}
