import NIOConcurrencyHelpers
import Prometheus

/// A Prometheus counter that follows a cumulative total kept elsewhere (the edge shards, the
/// Redis client): each scrape adds only what the total grew by since the last one, so the
/// hot path keeps its own cheap counters and pays nothing for export.
final class MirroredCounter: Sendable {
    private let counter: Counter
    private let reported = NIOLockedValueBox<Int64>(0)

    init(_ counter: Counter) {
        self.counter = counter
    }

    /// Brings the counter up to `total`; a total that went down (a restarted source) is ignored.
    func mirror(_ total: some BinaryInteger) {
        let total = Int64(clamping: total)
        let delta = reported.withLockedValue { reported -> Int64 in
            let delta = total - reported
            if delta > 0 { reported = total }
            return delta
        }
        if delta > 0 { counter.increment(by: delta) }
    }
}
