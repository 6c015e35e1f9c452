import AgentCacheCore

/// The limits of every plan tier on this server: SPEC §5's by default, with operator
/// overrides (`--tier-limit enterprise:rps=20000,concurrent=none`) for deployments and
/// benchmarks the standard plans do not fit.
public struct PlanLimits: Sendable, Equatable {
    private var limits: [PlanTier: TierLimits]

    /// SPEC §5's tiers.
    public static let standard = PlanLimits(limits: Dictionary(uniqueKeysWithValues: PlanTier.allCases.map { ($0, $0.limits) }))

    private init(limits: [PlanTier: TierLimits]) {
        self.limits = limits
    }

    /// The limits of `tier`.
    public subscript(tier: PlanTier) -> TierLimits {
        get { limits[tier] ?? tier.limits }
        set { limits[tier] = newValue }
    }

    /// Applies one override, `<tier>:<field>=<value>[,<field>=<value>...]`. Fields: `rps`,
    /// `monthly`, `concurrent`, `namespaces`, `max-ttl` (seconds); `none` lifts the last
    /// three. Throws a one-line `INVALID_REQUEST` naming what is wrong.
    public mutating func apply(_ override: String) throws(CacheError) {
        let parts = override.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let tier = PlanTier(rawValue: parts[0]) else {
            throw .invalidRequest("--tier-limit '\(override)': expected <tier>:<field>=<value>,... with tier one of \(PlanTier.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var tierLimits = self[tier]
        for assignment in parts[1].split(separator: ",") {
            let pair = assignment.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { throw .invalidRequest("--tier-limit '\(override)': '\(assignment)' is not <field>=<value>") }
            let (field, value) = (pair[0], pair[1])
            func whole(allowingNone: Bool) throws(CacheError) -> Int64? {
                if allowingNone && value == "none" { return nil }
                guard let number = Int64(value), number > 0 else {
                    throw .invalidRequest("--tier-limit '\(override)': \(field) must be a positive whole number\(allowingNone ? " or none" : ""), got '\(value)'")
                }
                return number
            }
            switch field {
            case "rps":
                let rate = try whole(allowingNone: false)!
                // The rate limiters schedule in microseconds.
                guard rate <= 1_000_000 else { throw .invalidRequest("--tier-limit '\(override)': rps can be at most 1000000, got \(rate)") }
                tierLimits.requestsPerSecond = Int(rate)
            case "monthly": tierLimits.monthlyRequests = try whole(allowingNone: false)!
            case "concurrent": tierLimits.concurrentRequests = try whole(allowingNone: true).map { Int($0) }
            case "namespaces": tierLimits.maxNamespaces = try whole(allowingNone: true).map { Int($0) }
            case "max-ttl": tierLimits.maxTTLSeconds = try whole(allowingNone: true).map { Double($0) }
            default:
                throw .invalidRequest("--tier-limit '\(override)': unknown field '\(field)' (rps, monthly, concurrent, namespaces, max-ttl)")
            }
        }
        self[tier] = tierLimits
    }
}
