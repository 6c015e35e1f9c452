import AgentCacheCore
import NIOConcurrencyHelpers
import NIOCore

/// The generic cell rate algorithm in process: per key, one "theoretical arrival time".
/// A request is admitted when it would not push that time more than burst × emission
/// interval past now; burst = the per-second rate, so a full bucket admits one second's
/// worth at once and then exactly the rate. O(1) per request under one lock; time is
/// monotonic (`NIODeadline`) so wall-clock jumps do not refill or drain buckets.
public final class GCRALimiter: RateLimiting {
    private let arrivals = NIOLockedValueBox([String: Int64]())
    private let nowMicros: @Sendable () -> Int64

    /// `nowMicros` is injectable for tests; the default is the monotonic clock.
    public init(nowMicros: @escaping @Sendable () -> Int64 = { Int64(NIODeadline.now().uptimeNanoseconds / 1000) }) {
        self.nowMicros = nowMicros
    }

    /// Always decided in process (`.now`).
    public func acquire(key: String, ratePerSecond: Int) -> Eventual<RateDecision> {
        .value(decide(key: key, ratePerSecond: ratePerSecond))
    }

    /// One GCRA step for `key` under the lock.
    func decide(key: String, ratePerSecond: Int) -> RateDecision {
        let (rate, emission, tolerance) = RateDecision.schedule(ratePerSecond: ratePerSecond)
        let now = nowMicros()
        return arrivals.withLockedValue { arrivals in
            let arrival = max(arrivals[key] ?? now, now)
            let next = arrival + emission
            if next - now > tolerance {
                return .gcra(allowed: false, limit: rate, emission: emission, tolerance: tolerance, ahead: arrival - now, excess: next - now - tolerance)
            }
            arrivals[key] = next
            if arrivals.count > 100_000 { arrivals = arrivals.filter { $0.value > now } }
            return .gcra(allowed: true, limit: rate, emission: emission, tolerance: tolerance, ahead: next - now, excess: 0)
        }
    }
}
