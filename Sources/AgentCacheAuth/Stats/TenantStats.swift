import NIOConcurrencyHelpers

/// Requests, hits and misses per tenant in hourly buckets, for `GET /api/stats` (30 days
/// kept). Tenant figures live here, never as `/metrics` labels (cardinality).
///
/// Without Redis the figures are this node's, in memory. With a `shared` store they are
/// every node's and survive restarts: records are batched in memory and `flush` (every
/// second, from `UsageFlusher`) adds them to Redis in one pipeline, so no request waits on
/// Redis to be counted; reads sum the Redis hours plus this node's unflushed batch. While
/// Redis is unreachable reads fall back to this node's in-memory figures and batches wait.
/// O(1) per record under one lock; a query sums at most 720 buckets.
public final class TenantStats: Sendable {
    /// One hour of one tenant.
    public struct Counts: Sendable, Equatable {
        public var requests: Int64 = 0
        public var hits: Int64 = 0
        public var misses: Int64 = 0

        /// The given counts (zero by default).
        public init(requests: Int64 = 0, hits: Int64 = 0, misses: Int64 = 0) {
            self.requests = requests
            self.hits = hits
            self.misses = misses
        }

        /// Adds `other` field by field.
        public mutating func add(_ other: Counts) {
            requests += other.requests
            hits += other.hits
            misses += other.misses
        }
    }

    /// Tenant → hour → counts.
    typealias Hours = [String: [Int64: Counts]]

    /// Hours of history kept.
    public static let retainedHours: Int64 = 30 * 24

    /// Where figures are shared across nodes; nil keeps them in this process only.
    public let shared: RedisStatsStore?
    /// This node's figures: the answer without Redis, the fallback while it is unreachable.
    private let buckets = NIOLockedValueBox(Hours())
    /// Counted here and not yet in Redis.
    private let pending = NIOLockedValueBox(Hours())

    /// Statistics in memory, shared through `shared` when given.
    public init(shared: RedisStatsStore? = nil) {
        self.shared = shared
    }

    /// Counts one request of `tenant` at `millis`; `hit` nil for requests that are not lookups.
    public func record(tenant: String, atMillis millis: Int64, hit: Bool? = nil, request: Bool = true) {
        let hour = millis / 3_600_000
        var counts = Counts()
        if request { counts.requests = 1 }
        switch hit {
        case true?: counts.hits = 1
        case false?: counts.misses = 1
        case nil: break
        }
        Self.merge(counts, tenant: tenant, hour: hour, into: buckets)
        if shared != nil { Self.merge(counts, tenant: tenant, hour: hour, into: pending) }
    }

    /// `tenant`'s totals over the last `hours` hours up to `millis` (the current hour
    /// included). Cost with Redis: one pipelined round trip (see `RedisStatsStore.totals`).
    public func totals(tenant: String, hours: Int64, atMillis millis: Int64) async -> Counts {
        let now = millis / 3_600_000
        let range = (now - hours + 1)...now
        if let shared, var total = await shared.totals(tenant: tenant, hours: range) {
            total.add(Self.sum(pending, tenant: tenant, range: range))
            return total
        }
        return Self.sum(buckets, tenant: tenant, range: range)
    }

    /// Adds the batch counted since the last flush to Redis; when Redis does not take it the
    /// batch is kept for the next flush (hours past retention dropped). No-op without Redis.
    public func flush() async {
        guard let shared else { return }
        let batch = pending.withLockedValue { pending in
            defer { pending = [:] }
            return pending
        }
        guard !batch.isEmpty, !(await shared.add(batch)) else { return }
        pending.withLockedValue { pending in
            for (tenant, hours) in batch {
                for (hour, counts) in hours {
                    Self.mergeLocked(counts, tenant: tenant, hour: hour, into: &pending)
                }
            }
        }
    }

    private static func merge(_ counts: Counts, tenant: String, hour: Int64, into box: NIOLockedValueBox<Hours>) {
        box.withLockedValue { mergeLocked(counts, tenant: tenant, hour: hour, into: &$0) }
    }

    private static func mergeLocked(_ counts: Counts, tenant: String, hour: Int64, into table: inout Hours) {
        // Trim old hours only when a new hour starts, so the filter runs once an hour per tenant.
        if let hours = table[tenant], hours[hour] == nil {
            table[tenant] = hours.filter { $0.key > hour - retainedHours }
        }
        // Modified in place: copying the tenant's table out and back would copy up to 720
        // buckets on every request.
        table[tenant, default: [:]][hour, default: Counts()].add(counts)
    }

    private static func sum(_ box: NIOLockedValueBox<Hours>, tenant: String, range: ClosedRange<Int64>) -> Counts {
        box.withLockedValue { table in
            var total = Counts()
            for (hour, counts) in table[tenant] ?? [:] where range.contains(hour) { total.add(counts) }
            return total
        }
    }
}
