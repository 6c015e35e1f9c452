import AgentCacheCore
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Requests, lookups and savings per tenant and per tenant namespace, in hourly buckets, for
/// `GET /api/stats` (30 days kept). Tenant figures live here, never as `/metrics` labels
/// (cardinality).
///
/// Rows: one per tenant (its metered requests and all its lookups) and one per tenant
/// namespace (that namespace's lookups), named `<tenant>` and `<tenant>/<namespace>`.
///
/// The request path only adds to a small batch in one of `stripeCount` lock stripes, chosen by
/// the calling thread (so one busy tenant does not serialise every event loop on one lock):
/// a few integer additions into the batch's dictionary, in place, never a copy of it. Batches
/// are folded into the history each `flush` (every second, from `UsageFlusher`) and before
/// every read, so reads are exact. Without Redis the history is this node's, in memory. With a
/// `shared` store the figures are every node's and survive restarts: `flush` adds the folded
/// batch to Redis in one pipeline, so no request waits on Redis to be counted; reads sum the
/// Redis hours plus this node's unflushed batch, and fall back to the in-memory history while
/// Redis is unreachable (batches then wait). A query sums at most 720 buckets.
public final class TenantStats: Sendable {
    /// One hour of one row.
    public struct Counts: Sendable, Equatable {
        /// Metered API requests (tenant rows only: a request's namespace is not known when it
        /// is admitted).
        public var requests: Int64 = 0
        /// Lookups answered from the cache.
        public var hits: Int64 = 0
        /// Lookups that found nothing.
        public var misses: Int64 = 0
        /// Tokens the hits saved: each adds its entry's `AnswerCost.tokens`.
        public var tokensSaved: Int64 = 0
        /// What the hits saved, in nanodollars: each adds its entry's `AnswerCost.nanodollars`.
        public var nanodollarsSaved: Int64 = 0
        /// Lookups whose server-side time was measured, and the sum of those times in µs.
        public var timedLookups: Int64 = 0
        public var lookupMicros: Int64 = 0

        /// The given counts (zero by default).
        public init(
            requests: Int64 = 0, hits: Int64 = 0, misses: Int64 = 0, tokensSaved: Int64 = 0, nanodollarsSaved: Int64 = 0,
            timedLookups: Int64 = 0, lookupMicros: Int64 = 0
        ) {
            self.requests = requests
            self.hits = hits
            self.misses = misses
            self.tokensSaved = tokensSaved
            self.nanodollarsSaved = nanodollarsSaved
            self.timedLookups = timedLookups
            self.lookupMicros = lookupMicros
        }

        /// Adds `other` field by field, saturating at `Int64.max` (a count never traps the
        /// request path, whatever was stored or read back from Redis).
        public mutating func add(_ other: Counts) {
            add(other.requests, to: \.requests)
            add(other.hits, to: \.hits)
            add(other.misses, to: \.misses)
            add(other.tokensSaved, to: \.tokensSaved)
            add(other.nanodollarsSaved, to: \.nanodollarsSaved)
            add(other.timedLookups, to: \.timedLookups)
            add(other.lookupMicros, to: \.lookupMicros)
        }

        /// Adds `term` to `field`, saturating like `add(_:)`.
        public mutating func add(_ term: Int64, to field: WritableKeyPath<Counts, Int64>) {
            let (result, overflow) = self[keyPath: field].addingReportingOverflow(term)
            self[keyPath: field] = overflow ? (term > 0 ? .max : .min) : result
        }

        /// Whether every field is 0.
        var isZero: Bool { self == Counts() }
    }

    /// Row → hour → counts.
    public typealias Hours = [String: [Int64: Counts]]

    /// A row's hour, the key of a stripe's batch (one hash per record).
    struct RowHour: Hashable {
        var row: String
        var hour: Int64
    }

    /// Hours of history kept.
    public static let retainedHours: Int64 = 30 * 24
    /// Lock stripes of the request path: 2^`stripeBits`.
    static let stripeBits = 4
    static let stripeCount = 1 << stripeBits

    /// Where figures are shared across nodes; nil keeps them in this process only.
    public let shared: RedisStatsStore?
    /// Counted by the request path since the last fold, per stripe.
    private let stripes: [NIOLockedValueBox<[RowHour: Counts]>]
    /// This node's figures: the answer without Redis, the fallback while it is unreachable.
    /// The hour the last full trim ran for rides along.
    private let history = NIOLockedValueBox((rows: Hours(), trimmedHour: Int64.min))
    /// Folded and not yet in Redis.
    private let pending = NIOLockedValueBox(Hours())

    /// Statistics in memory, shared through `shared` when given.
    public init(shared: RedisStatsStore? = nil) {
        self.shared = shared
        self.stripes = (0..<Self.stripeCount).map { _ in NIOLockedValueBox([:]) }
    }

    /// The row of a whole tenant.
    public static func row(tenant: String) -> String { tenant }

    /// The row of one tenant namespace: `<tenant>/<namespace>` (tenants hold no `/`).
    public static func row(_ namespace: CacheNamespace) -> String { namespace.qualified }

    /// Counts one metered request of `tenant` at `millis`. Cost: one stripe lock, one hash.
    public func recordRequest(tenant: String, atMillis millis: Int64) {
        var counts = Counts()
        counts.requests = 1
        add(counts, row: tenant, hour: millis / 3_600_000)
    }

    /// Counts one lookup in `namespace` at `millis`: a hit (`hit`, saving `saved`) or a miss,
    /// and its server-side time when measured (`micros`), to the tenant's row and the
    /// namespace's. Cost: one stripe lock and two hashes; no allocation once both rows are in
    /// the stripe's batch.
    public func recordLookup(in namespace: CacheNamespace, atMillis millis: Int64, hit: Bool, saved: AnswerCost = .zero, micros: Int64? = nil) {
        var counts = Counts()
        if hit {
            counts.hits = 1
            counts.tokensSaved = saved.tokens
            counts.nanodollarsSaved = saved.nanodollars
        } else {
            counts.misses = 1
        }
        if let micros {
            counts.timedLookups = 1
            counts.lookupMicros = max(0, micros)
        }
        let hour = millis / 3_600_000
        stripe().withLockedValue { batch in
            batch[RowHour(row: namespace.tenant, hour: hour), default: Counts()].add(counts)
            batch[RowHour(row: namespace.qualified, hour: hour), default: Counts()].add(counts)
        }
    }

    /// `row`'s totals over the last `hours` hours up to `millis` (the current hour included);
    /// `row` is `row(tenant:)` or `row(_:)`. Cost: a fold of the stripes, then with Redis one
    /// pipelined round trip (see `RedisStatsStore.totals`).
    public func totals(row: String, hours: Int64, atMillis millis: Int64) async -> Counts {
        fold()
        let now = millis / 3_600_000
        let range = (now - hours + 1)...now
        if let shared, var total = await shared.totals(row: row, hours: range) {
            total.add(Self.sum(pending.withLockedValue { $0[row] }, range: range))
            return total
        }
        return Self.sum(history.withLockedValue { $0.rows[row] }, range: range)
    }

    /// Folds the stripes' batches into the history and, with Redis, adds what is pending to
    /// it; when Redis does not take it the batch is kept for the next flush (hours past
    /// retention dropped).
    public func flush() async {
        fold()
        guard let shared else { return }
        let batch = pending.withLockedValue { pending in
            defer { pending = [:] }
            return pending
        }
        guard !batch.isEmpty, !(await shared.add(batch)) else { return }
        let oldest = (batch.values.flatMap(\.keys).max() ?? 0) - Self.retainedHours
        pending.withLockedValue { pending in
            for (row, hours) in batch {
                for (hour, counts) in hours where hour > oldest {
                    pending[row, default: [:]][hour, default: Counts()].add(counts)
                }
            }
        }
    }

    /// Moves every stripe's batch into the history (and into `pending` with Redis). Trims
    /// hours past retention from every row once per hour, dropping rows left empty.
    private func fold() {
        var folded = Hours()
        var newest = Int64.min
        for stripe in stripes {
            let batch = stripe.withLockedValue { batch in
                defer { batch = [:] }
                return batch
            }
            for (slot, counts) in batch where !counts.isZero {
                folded[slot.row, default: [:]][slot.hour, default: Counts()].add(counts)
                newest = max(newest, slot.hour)
            }
        }
        guard !folded.isEmpty else { return }
        history.withLockedValue { history in
            if newest > history.trimmedHour {
                history.trimmedHour = newest
                let oldest = newest - Self.retainedHours
                for (row, hours) in history.rows where hours.keys.contains(where: { $0 <= oldest }) {
                    let kept = hours.filter { $0.key > oldest }
                    history.rows[row] = kept.isEmpty ? nil : kept
                }
            }
            Self.merge(folded, into: &history.rows)
        }
        if shared != nil {
            pending.withLockedValue { Self.merge(folded, into: &$0) }
        }
    }

    private static func merge(_ batch: Hours, into table: inout Hours) {
        for (row, hours) in batch {
            for (hour, counts) in hours {
                // Modified in place: copying a row out and back would copy up to 720 buckets.
                table[row, default: [:]][hour, default: Counts()].add(counts)
            }
        }
    }

    private static func sum(_ hours: [Int64: Counts]?, range: ClosedRange<Int64>) -> Counts {
        var total = Counts()
        for (hour, counts) in hours ?? [:] where range.contains(hour) { total.add(counts) }
        return total
    }

    private func add(_ counts: Counts, row: String, hour: Int64) {
        stripe().withLockedValue { $0[RowHour(row: row, hour: hour), default: Counts()].add(counts) }
    }

    /// The calling thread's stripe: event-loop threads keep to their own lock. Thread ids are
    /// aligned addresses, so Fibonacci hashing takes the product's high bits. O(1).
    private func stripe() -> NIOLockedValueBox<[RowHour: Counts]> {
        #if canImport(Darwin)
        let thread = UInt64(UInt(bitPattern: pthread_self()))
        #else
        let thread = UInt64(pthread_self())
        #endif
        return stripes[Int(truncatingIfNeeded: (thread &* 0x9E37_79B9_7F4A_7C15) >> (64 - UInt64(Self.stripeBits)))]
    }
}
