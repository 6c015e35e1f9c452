/// A request let through by `KeyAuthority.admit`: who it acts for, its limits, and the rate
/// state the `X-RateLimit-*` headers report. Its waiting steps run under `KeyAuthority.hold`.
public struct Admission: Sendable {
    /// The key's record (tenant = `record.namespace`).
    public let record: KeyRecord
    /// The key's tier limits, as this server configures them.
    public let limits: TierLimits
    /// The rate decision that admitted the request.
    public let rate: RateDecision

    /// `X-RateLimit-Limit`, `-Remaining`, `-Reset` for this request.
    public var headers: [String: String] { KeyAuthority.rateHeaders(rate) }
}
