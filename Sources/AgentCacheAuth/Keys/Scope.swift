/// What a key may do. Provisioned keys get all four unless the request narrows them.
public enum Scope: String, Sendable, CaseIterable, Comparable {
    /// get, check, explain.
    case cacheRead = "cache:read"
    /// set.
    case cacheWrite = "cache:write"
    /// invalidate (a namespace or one entry).
    case cacheInvalidate = "cache:invalidate"
    /// `GET /api/stats`.
    case statsRead = "stats:read"

    public static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.rawValue < rhs.rawValue }
}
