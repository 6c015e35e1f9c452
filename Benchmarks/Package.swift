// swift-tools-version:6.1
import PackageDescription

/// AgentCache's benchmarks, kept in their own package so that the server package does not
/// depend on ordo-one/benchmark (and its malloc interposer) and its `swift build` stays lean.
///
/// Run them with `cd Benchmarks && swift package benchmark`; `scripts/bench --scenarios floor` builds
/// `hb-baseline` from here for the HTTP comparison.
///
/// Seen once: after a source file was added to ../Sources, this package's release build kept the
/// old file list and failed with "cannot find type"; deleting `.build/release.yaml` (the cached
/// build plan) fixed it.
let package = Package(
    name: "agentcache-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The server package itself, by path, so the benchmarks always measure the working tree.
        .package(name: "agentcache", path: ".."),
        // MallocInterposer is named explicitly: it keeps the malloc metrics and, by leaving the
        // default RuntimeInterposer trait off, the package needs nothing outside our package mirror.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        // Same trait choice as the root package, so both resolve to one Hummingbird build.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
    ],
    targets: [
        // Engine micro-benchmarks: key derivation, LZ4, edge tier vs a plain Dictionary.
        .executableTarget(
            name: "CoreBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "AgentCacheCore", package: "agentcache"),
            ],
            path: "Benchmarks/CoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The HTTP floor: bare Hummingbird answering a POST with a canned 1 KiB JSON body.
        .executableTarget(
            name: "hb-baseline",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Sources/hb-baseline"
        ),
    ]
)
