import Testing
@testable import AgentCacheCore

@Suite("Hit-ratio simulator")
struct HitRatioSimulatorTests {
    private let configuration = HitRatioSimulator.Configuration(capacityBytes: 512 * 1024, stripes: 4, requests: 60_000)

    @Test("on a Zipf trace with scans the shipped edge policy misses no more than exact LRU")
    func edgeBeatsLRUOnScans() throws {
        let trace = try #require(HitRatioSimulator.standardTraces(configuration).first { $0.name == "zipf-0.99+scans" })
        let result = HitRatioSimulator.run(trace, configuration: configuration)
        #expect(result.requests == 60_000)
        #expect(result.measuredRequests == 54_000)
        #expect(result.edgeMissRatio <= result.lruMissRatio)
        #expect(result.lruMissRatio > 0 && result.lruMissRatio < 1)
    }

    @Test("exact LRU misses every request of a loop slightly larger than the cache")
    func lruLosesLoops() throws {
        // The LRU column is one global exact LRU whatever the edge policy.
        let trace = try #require(HitRatioSimulator.standardTraces(configuration).first { $0.name == "loop-110%" })
        let result = HitRatioSimulator.run(trace, configuration: configuration)
        #expect(result.lruMissRatio == 1)
    }

    @Test("the standard suite has every fixed-size skew, and scans and loops in both size variants")
    func standardSuite() {
        let names = HitRatioSimulator.standardTraces(configuration).map(\.name)
        for name in ["zipf-0.6", "zipf-0.8", "zipf-0.99", "zipf-1.2", "zipf-0.99+scans", "loop-110%", "zipf-0.99-var", "zipf-0.99+scans-var", "loop-110%-var"] {
            #expect(names.contains(name))
        }
    }
}
