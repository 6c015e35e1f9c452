import Dispatch
import Testing
@testable import AgentCacheCore

/// Many threads on few stripes: run under `--sanitize=thread` by scripts/test to prove the
/// locking, and checks the books balance afterwards.
@Suite("Edge tier under concurrency")
struct EdgeCacheStressTests {
    @Test("concurrent gets, sets, removes and sweeps keep every invariant")
    func concurrentMixedWorkload() {
        let edge = EdgeCache(configuration: .init(capacityBytes: 256 * 1024, stripes: 4))
        let now: Int64 = 1_700_000_000_000
        let threads = 8
        let operations = 20_000
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            var state = UInt64(thread + 1) &* 0x9E37_79B9_7F4A_7C15
            for step in 0..<operations {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let key = EdgeFixtures.key(Int(state >> 33) % 2000)
                let clock = now + Int64(step)
                switch state >> 60 {
                case 0...8:
                    if let entry = edge.get(key, now: clock) {
                        precondition(!entry.isExpired(at: clock), "served an expired entry")
                    }
                case 9...12:
                    let size = Int(state >> 20) % 2000
                    edge.set(key, entry: EdgeFixtures.entry(size: size, now: clock, ttlMillis: Int64(state >> 50) % 5000), namespace: nil, now: clock)
                case 13:
                    edge.remove(key)
                case 14:
                    _ = edge.peek(key, now: clock)
                default:
                    edge.sweep(maxSlotsPerShard: 64, now: clock)
                }
            }
        }
        let statistics = edge.statistics()
        #expect(statistics.storedBytes <= statistics.capacityBytes)
        #expect(statistics.entries >= 0)
        #expect(statistics.hits + statistics.misses > 0)
        // Sweep everything that has expired by the end of time; the books must then be empty.
        while edge.sweep(maxSlotsPerShard: 4096, now: .max) > 0 {}
        let drained = edge.statistics()
        #expect(drained.entries == 0)
        #expect(drained.storedBytes == 0)
        #expect(drained.rawBytes == 0)
    }
}
