import Benchmark

/// Entry point the BenchmarkPlugin's generated `main` calls: registers every benchmark.
///
/// Every benchmark reports throughput (scaled to single operations, marked `*` in the output)
/// and wall clock. Runs are kept short (`maxDuration`) so the whole suite takes a few minutes
/// on the 2-core machines this project runs on.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        // cpuTotal is left to the edge benchmarks: its 10 ms resolution is meaningless per
        // op at the kilo scale the others use.
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        warmupIterations: 2,
        maxDuration: .seconds(2),
        maxIterations: 1_000
    )
    registerKeyBenchmarks()
    registerCodecBenchmarks()
    registerEdgeBenchmarks()
}
