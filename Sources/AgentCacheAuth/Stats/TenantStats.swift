import NIOConcurrencyHelpers

/// Requests, hits and misses per tenant in hourly buckets, in memory, for `GET /api/stats`
/// (30 days kept). Tenant figures live here, never as `/metrics` labels (cardinality).
/// O(1) per record under one lock; a query sums at most 720 buckets.
public final class TenantStats: Sendable {
    /// One hour of one tenant.
    public struct Counts: Sendable, Equatable {
        public var requests: Int64 = 0
        public var hits: Int64 = 0
        public var misses: Int64 = 0
    }

    /// Hours of history kept.
    public static let retainedHours: Int64 = 30 * 24

    private let buckets = NIOLockedValueBox([String: [Int64: Counts]]())

    /// Empty statistics.
    public init() {}

    /// Counts one request of `tenant` at `millis`; `hit` nil for requests that are not lookups.
    public func record(tenant: String, atMillis millis: Int64, hit: Bool? = nil, request: Bool = true) {
        let hour = millis / 3_600_000
        buckets.withLockedValue { buckets in
            var hours = buckets[tenant] ?? [:]
            var counts = hours[hour] ?? Counts()
            if request { counts.requests += 1 }
            switch hit {
            case true?: counts.hits += 1
            case false?: counts.misses += 1
            case nil: break
            }
            if hours[hour] == nil { hours = hours.filter { $0.key > hour - Self.retainedHours } }
            hours[hour] = counts
            buckets[tenant] = hours
        }
    }

    /// `tenant`'s totals over the last `hours` hours up to `millis` (the current hour included).
    public func totals(tenant: String, hours: Int64, atMillis millis: Int64) -> Counts {
        let now = millis / 3_600_000
        return buckets.withLockedValue { buckets in
            var total = Counts()
            for (hour, counts) in buckets[tenant] ?? [:] where hour > now - hours && hour <= now {
                total.requests += counts.requests
                total.hits += counts.hits
                total.misses += counts.misses
            }
            return total
        }
    }
}
