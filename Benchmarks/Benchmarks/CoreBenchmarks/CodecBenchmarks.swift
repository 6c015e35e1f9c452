import AgentCacheCore
import Benchmark

/// Value codec: the LZ4 work a set (compress) and a hit (decompress) of a typical answer costs.
func registerCodecBenchmarks() {
    // One round trip is a few µs; 1000 per iteration.
    let configuration = Benchmark.Configuration(scalingFactor: .kilo)

    Benchmark("LZ4 round trip 4 KiB LLM answer", configuration: configuration) { benchmark in
        let answer = Fixtures.llmAnswer4KiB
        for _ in benchmark.scaledIterations {
            let stored = StoredValue(encoding: answer)
            do {
                blackHole(try stored.decoded())
            } catch {
                benchmark.error("decode failed: \(error)")
                return
            }
        }
    } setup: {
        // Guard the fixture's premise: a realistic answer must actually take the LZ4 path
        // and come back byte-identical, or this benchmark would silently measure a copy.
        let stored = StoredValue(encoding: Fixtures.llmAnswer4KiB)
        precondition(stored.encoding == .lz4, "4 KiB answer fixture did not compress")
        precondition((try? stored.decoded()) == Fixtures.llmAnswer4KiB, "LZ4 round trip changed the answer")
    }
}
