/// A key's plan (SPEC §5), which sets its limits.
public enum PlanTier: String, Sendable, CaseIterable {
    case free
    case pro
    case enterprise

    /// The limits of this tier. nil means unlimited.
    public var limits: TierLimits {
        switch self {
        case .free:
            TierLimits(monthlyRequests: 10_000, requestsPerSecond: 10, concurrentRequests: nil, maxNamespaces: 1, maxTTLSeconds: 7 * 86_400)
        case .pro:
            TierLimits(monthlyRequests: 1_000_000, requestsPerSecond: 100, concurrentRequests: nil, maxNamespaces: 10, maxTTLSeconds: 90 * 86_400)
        case .enterprise:
            TierLimits(monthlyRequests: 10_000_000, requestsPerSecond: 500, concurrentRequests: 100, maxNamespaces: nil, maxTTLSeconds: nil)
        }
    }
}

/// The numbers a tier allows. The rate limiter's burst equals `requestsPerSecond`.
public struct TierLimits: Sendable, Equatable {
    /// Requests per calendar month (UTC); the answer's `rate_limit`.
    public var monthlyRequests: Int64
    /// Sustained requests per second (GCRA, burst of the same size).
    public var requestsPerSecond: Int
    /// Requests in flight at once; nil = not limited.
    public var concurrentRequests: Int?
    /// Distinct client namespaces a key may use; nil = unlimited.
    public var maxNamespaces: Int?
    /// Longest TTL a set may ask for (longer is clamped); nil = the server's own maximum.
    public var maxTTLSeconds: Double?
}
