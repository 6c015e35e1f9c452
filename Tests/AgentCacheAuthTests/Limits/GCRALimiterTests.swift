import AgentCacheAuth
import AgentCacheTestSupport
import NIOConcurrencyHelpers
import Testing

@Suite("GCRALimiter and ConcurrencyLimiter")
struct GCRALimiterTests {
    /// A limiter on a clock the test moves.
    static func limiter() -> (GCRALimiter, NIOLockedValueBox<Int64>) {
        let now = NIOLockedValueBox<Int64>(1_000_000_000)
        return (GCRALimiter(nowMicros: { now.withLockedValue { $0 } }), now)
    }

    @Test("a full bucket admits the burst (= rate), then one request per emission interval")
    func burstThenRate() {
        let (limiter, now) = Self.limiter()
        let admitted = (0..<15).filter { _ in limiter.acquire(key: "k", ratePerSecond: 10).atHand!.allowed }.count
        #expect(admitted == 10)
        let refused = limiter.acquire(key: "k", ratePerSecond: 10).atHand!
        #expect(!refused.allowed)
        #expect(refused.retryAfterSeconds == 1)
        #expect(refused.remaining == 0)
        now.withLockedValue { $0 += 100_000 }
        #expect(limiter.acquire(key: "k", ratePerSecond: 10).atHand!.allowed)
        #expect(!limiter.acquire(key: "k", ratePerSecond: 10).atHand!.allowed)
        now.withLockedValue { $0 += 1_000_000 }
        let refilled = limiter.acquire(key: "k", ratePerSecond: 10).atHand!
        #expect(refilled.allowed)
        #expect(refilled.remaining == 9)
        #expect(refilled.resetSeconds == 1)
    }

    @Test("over 60 simulated seconds the admitted count is burst + rate × time")
    func sustainedRate() {
        let (limiter, now) = Self.limiter()
        var admitted = 0
        for _ in 0..<60_000 {
            if limiter.acquire(key: "k", ratePerSecond: 100).atHand!.allowed { admitted += 1 }
            now.withLockedValue { $0 += 1_000 }
        }
        #expect(admitted >= 6_000 && admitted <= 6_101)
    }

    @Test("free tier: a burst of 40 admits 10, then the admitted rate over 3 s stays within 10 % of 10/s")
    func freeTierBurstThenRate() {
        let (limiter, now) = Self.limiter()
        let burst = (0..<40).filter { _ in limiter.acquire(key: "free", ratePerSecond: 10).atHand!.allowed }.count
        #expect(burst == 10)
        // Eight clients each offering a request every 10 ms for 3 s: far more than the limit.
        var admitted = 0
        for _ in 0..<300 {
            now.withLockedValue { $0 += 10_000 }
            for _ in 0..<8 where limiter.acquire(key: "free", ratePerSecond: 10).atHand!.allowed { admitted += 1 }
        }
        let rate = Double(admitted) / 3
        #expect(rate >= 9 && rate <= 11, "admitted \(admitted) in 3 s = \(rate)/s")
    }

    @Test("keys have separate buckets")
    func separateKeys() {
        let (limiter, _) = Self.limiter()
        for _ in 0..<10 { _ = limiter.acquire(key: "a", ratePerSecond: 10).atHand! }
        #expect(!limiter.acquire(key: "a", ratePerSecond: 10).atHand!.allowed)
        #expect(limiter.acquire(key: "b", ratePerSecond: 10).atHand!.allowed)
    }

    @Test("the concurrency limiter admits up to the limit and frees slots on release")
    func concurrency() {
        let limiter = ConcurrencyLimiter()
        let slots = (0..<100).compactMap { _ in limiter.acquire("a", limit: 100).atHand! }
        #expect(slots.count == 100)
        #expect(limiter.acquire("a", limit: 100).atHand! == nil)
        #expect(limiter.acquire("b", limit: 100).atHand! != nil)
        _ = limiter.release(slots[0])
        #expect(limiter.acquire("a", limit: 100).atHand! != nil)
        #expect(limiter.current("a") == 100)
    }
}
