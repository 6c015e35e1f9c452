/// A Prometheus histogram's cumulative buckets, with PromQL's `histogram_quantile`.
struct HistogramBuckets: Sendable {
    /// Upper bound and cumulative count, ascending by bound; the last bound is `+Inf` when
    /// the histogram was exported.
    let buckets: [(upperBound: Double, count: Double)]
    /// The sum of the observed values.
    let sum: Double

    init(buckets: [(upperBound: Double, count: Double)], sum: Double) {
        self.buckets = buckets.sorted { $0.upperBound < $1.upperBound }
        self.sum = sum
    }

    /// Observations counted (the `+Inf` bucket).
    var count: Double { buckets.last?.count ?? 0 }

    /// The `q`-quantile (0...1) estimated as Prometheus's `histogram_quantile` does: linear
    /// interpolation inside the bucket the rank falls in, the first bucket starting at 0, and
    /// the highest finite bound when the rank falls in `+Inf`. Nil without observations.
    func quantile(_ q: Double) -> Double? {
        guard buckets.count >= 2, buckets.last?.upperBound == .infinity, count > 0, (0...1).contains(q) else { return nil }
        var rank = q * count
        guard let index = buckets.firstIndex(where: { $0.count >= rank }) else { return nil }
        if index == buckets.count - 1 { return buckets[index - 1].upperBound }
        let upper = buckets[index].upperBound
        if index == 0, upper <= 0 { return upper }
        var lower = 0.0
        var inBucket = buckets[index].count
        if index > 0 {
            lower = buckets[index - 1].upperBound
            inBucket -= buckets[index - 1].count
            rank -= buckets[index - 1].count
        }
        return inBucket > 0 ? lower + (upper - lower) * (rank / inBucket) : lower
    }
}
