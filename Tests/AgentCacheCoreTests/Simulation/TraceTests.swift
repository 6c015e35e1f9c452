import Testing
@testable import AgentCacheCore

@Suite("Synthetic traces")
struct TraceTests {
    private func zipf(seed: UInt64, sizes: TraceSpec.Sizes = .fixed(1024)) -> TraceSpec {
        TraceSpec(name: "z", pattern: .zipf(skew: 0.99, universe: 1000), sizes: sizes, requests: 2000, seed: seed)
    }

    @Test("the same seed yields the same requests; another seed other requests")
    func deterministicForSeed() {
        #expect(Array(zipf(seed: 7)) == Array(zipf(seed: 7)))
        #expect(Array(zipf(seed: 7)) != Array(zipf(seed: 8)))
        let variable = TraceSpec.Sizes.variable(min: 64, max: 4096)
        #expect(Array(zipf(seed: 3, sizes: variable)) == Array(zipf(seed: 3, sizes: variable)))
    }

    @Test("SplitMix64 produces the reference sequence for seed 0")
    func splitMixReference() {
        var random = SplitMix64(seed: 0)
        #expect(random.next() == 0xE220_A839_7B1D_CDAF)
        #expect(random.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test("Zipf draws favour low ranks and stay inside the universe")
    func zipfShape() {
        let requests = Array(zipf(seed: 1))
        #expect(requests.count == 2000)
        #expect(requests.allSatisfy { $0.key < 1000 })
        let first = requests.filter { $0.key == 0 }.count
        let hundredth = requests.filter { $0.key == 99 }.count
        #expect(first > hundredth * 10)
    }

    @Test("scans are runs of keys that are never requested twice, after every period of Zipf draws")
    func scansAreOneHitWonders() {
        let spec = TraceSpec(name: "s", pattern: .zipfWithScans(skew: 0.8, universe: 100, scanLength: 50, period: 200), sizes: .fixed(10), requests: 1000, seed: 5)
        let keys = Array(spec).map(\.key)
        let scanned = keys.filter { $0 >= 100 }
        #expect(scanned.count == 200)  // 4 periods of 200 Zipf draws + 50 scan keys each
        #expect(Set(scanned).count == scanned.count)
        #expect(keys[200..<250].allSatisfy { $0 >= 100 })
        #expect(keys[0..<200].allSatisfy { $0 < 100 })
    }

    @Test("a loop cycles through its keys in order")
    func loopCycles() {
        let spec = TraceSpec(name: "l", pattern: .loop(length: 3), sizes: .fixed(10), requests: 7, seed: 0)
        #expect(Array(spec).map(\.key) == [0, 1, 2, 0, 1, 2, 0])
    }

    @Test("variable sizes are fixed per key and within their bounds")
    func variableSizesPerKey() {
        let spec = zipf(seed: 9, sizes: .variable(min: 64, max: 4096))
        var seen: [UInt64: Int] = [:]
        for request in spec {
            #expect((64...4096).contains(request.size))
            if let size = seen[request.key] { #expect(size == request.size) }
            seen[request.key] = request.size
        }
        #expect(Set(seen.values).count > 10)
    }
}
