/// Where an answer came from; reported as `tier` and in `X-Cache`.
public enum TierName: String, Sendable, CaseIterable {
    case edge
    case redis
    case origin
}
