import AgentCacheCore
import ArgumentParser

/// `agentcache simulate`: replays synthetic traces against the edge tier's eviction policy
/// and an exact LRU of the same byte budget and prints both miss ratios. The simulation is
/// `HitRatioSimulator` in AgentCacheCore; this file parses flags and prints.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Compare the edge tier's miss ratio with exact LRU on synthetic traces.",
        discussion: "Traces: Zipf at several skews, Zipf with one-hit-wonder scans, a loop over 110% of the capacity; fixed 1 KiB values and log-uniform 64 B–16 KiB values (suffix -var). The edge column runs the shipped policy striped as the server stripes it; LRU is one global exact LRU. The first 10% of each trace warms the caches and is not counted."
    )

    @Option(name: .customLong("capacity"), help: "Total byte budget, e.g. 16MiB (default 16MiB).")
    var capacity: String = "16MiB"

    @Option(help: "Edge stripes, a power of two (default 16, as the server).")
    var stripes: Int = 16

    @Option(help: "Requests per trace (default 2000000; --quick: 200000).")
    var requests: Int?

    @Option(help: "Seed of every trace (default 24301).")
    var seed: UInt64 = 0x5EED

    @Option(help: "Edge column policy: \(SimulatedPolicy.allCases.map(\.rawValue).joined(separator: ", ")) (default production).")
    var policy: String = SimulatedPolicy.production.rawValue

    @Flag(help: "Fewer requests per trace (200000): a rough answer in seconds.")
    var quick = false

    @Flag(help: "Print the results as JSON instead of a table.")
    var json = false

    func run() throws {
        guard let policy = SimulatedPolicy(rawValue: policy) else {
            throw ValidationError("--policy must be one of \(SimulatedPolicy.allCases.map(\.rawValue).joined(separator: ", ")), got '\(self.policy)'")
        }
        let configuration = HitRatioSimulator.Configuration(
            capacityBytes: try ByteCount.parse(capacity, flag: "--capacity"),
            stripes: stripes,
            requests: requests ?? (quick ? 200_000 : 2_000_000),
            seed: seed,
            policy: policy
        )
        if let problem = configuration.problem { throw ValidationError(problem) }
        let traces = HitRatioSimulator.standardTraces(configuration)
        if !json {
            print("edge: \(policy.rawValue) policy over \(stripes) stripes; LRU: one exact LRU; \(configuration.capacityBytes) bytes each")
            print(Table.header)
        }
        var results: [SimulationResult] = []
        for trace in traces {
            let result = HitRatioSimulator.run(trace, configuration: configuration)
            results.append(result)
            if !json { print(Table.row(result)) }
        }
        if json {
            print(String(decoding: CanonicalJSON.encode(.array(results.map { Self.json($0, configuration) })), as: UTF8.self))
        }
    }

    private static func json(_ result: SimulationResult, _ configuration: HitRatioSimulator.Configuration) -> JSONValue {
        .object([
            JSONMember(key: "trace", value: .string(result.trace)),
            JSONMember(key: "requests", value: .number(Double(result.requests))),
            JSONMember(key: "measured_requests", value: .number(Double(result.measuredRequests))),
            JSONMember(key: "capacity_bytes", value: .number(Double(result.capacityBytes))),
            JSONMember(key: "stripes", value: .number(Double(configuration.stripes))),
            JSONMember(key: "policy", value: .string(configuration.policy.rawValue)),
            JSONMember(key: "edge_miss_ratio", value: .number(result.edgeMissRatio)),
            JSONMember(key: "lru_miss_ratio", value: .number(result.lruMissRatio)),
            JSONMember(key: "relative_change", value: .number(result.relativeChange)),
        ])
    }

    /// Fixed-width text rows.
    private enum Table {
        static let header = pad("trace", 24) + pad("requests", 10, right: true) + pad("edge miss", 12, right: true)
            + pad("LRU miss", 12, right: true) + pad("change", 10, right: true)

        static func row(_ result: SimulationResult) -> String {
            pad(result.trace, 24) + pad(String(result.requests), 10, right: true)
                + pad(percent(result.edgeMissRatio), 12, right: true)
                + pad(percent(result.lruMissRatio), 12, right: true)
                + pad(percent(result.relativeChange, signed: true), 10, right: true)
        }

        /// `ratio` as a percentage with two decimals, e.g. 0.12345 -> "12.35%".
        static func percent(_ ratio: Double, signed: Bool = false) -> String {
            let hundredths = Int((abs(ratio) * 10_000).rounded())
            let sign = ratio < 0 && hundredths > 0 ? "-" : (signed && hundredths > 0 ? "+" : "")
            let fraction = hundredths % 100
            return "\(sign)\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)%"
        }

        static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(1, width - text.count))
            return right ? fill + text : text + fill
        }
    }
}
