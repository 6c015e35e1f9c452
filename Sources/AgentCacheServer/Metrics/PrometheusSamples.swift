/// The samples of a Prometheus text exposition (format 0.0.4) read back into numbers, so the
/// dashboard's summary comes from the very counters `/metrics` renders, not a second set.
///
/// Hand-written: swift-prometheus writes the format but has no reader, and the subset it
/// writes (`name{label="value",...} number`, `#` comment lines) takes one small scanner.
/// Label values are unescaped (`\\`, `\"`, `\n`) as the format defines.
struct PrometheusSamples: Sendable {
    /// One sample line.
    struct Sample: Sendable, Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    let samples: [Sample]

    /// Parses `text`; lines that are not samples (comments, blanks, malformed) are skipped.
    init(text: some Collection<UInt8>) {
        var samples: [Sample] = []
        for line in text.split(separator: UInt8(ascii: "\n")) where line.first != UInt8(ascii: "#") {
            if let sample = Self.parse(line) { samples.append(sample) }
        }
        self.samples = samples
    }

    /// The sum of every series of `name` whose labels include all of `labels`; nil when there
    /// is none (the metric is not exported, or no series matches).
    func sum(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        sum(name) { series in labels.allSatisfy { series[$0.key] == $0.value } }
    }

    /// The sum of every series of `name` whose labels `matching` accepts; nil when none does.
    func sum(_ name: String, matching: ([String: String]) -> Bool) -> Double? {
        var total: Double?
        for sample in samples where sample.name == name && matching(sample.labels) {
            total = (total ?? 0) + sample.value
        }
        return total
    }

    /// The label `label` of the series of `name` whose value is 1 (a state-set gauge such as
    /// `agentcache_redis_circuit_state{state=...}`); nil when none is.
    func activeState(_ name: String, label: String) -> String? {
        samples.first { $0.name == name && $0.value == 1 }?.labels[label]
    }

    /// The histogram `name` summed over the series `matching` accepts (bucket by bucket, as
    /// PromQL's `sum by (le)`); empty when none matches.
    func histogram(_ name: String, matching: ([String: String]) -> Bool) -> HistogramBuckets {
        var counts: [Double: Double] = [:]
        var sum = 0.0
        let bucketName = name + "_bucket"
        let sumName = name + "_sum"
        for sample in samples where sample.name.hasPrefix(name) {
            if sample.name == bucketName, let bound = sample.labels["le"].flatMap(Self.bound), matching(sample.labels) {
                counts[bound, default: 0] += sample.value
            } else if sample.name == sumName, matching(sample.labels) {
                sum += sample.value
            }
        }
        return HistogramBuckets(buckets: counts.map { (upperBound: $0.key, count: $0.value) }, sum: sum)
    }

    /// A bucket bound: a number or `+Inf`.
    private static func bound(_ text: String) -> Double? {
        text == "+Inf" ? .infinity : Double(text)
    }

    /// `name{a="b",c="d"} 12` (labels optional, a timestamp after the value ignored).
    static func parse(_ line: some Collection<UInt8>) -> Sample? {
        let bytes = Array(line)
        var index = 0
        func isNameByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: ":"):
                true
            default: false
            }
        }
        func name() -> String? {
            let start = index
            while index < bytes.count, isNameByte(bytes[index]) { index += 1 }
            return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
        }
        guard let metric = name() else { return nil }
        var labels: [String: String] = [:]
        if index < bytes.count, bytes[index] == UInt8(ascii: "{") {
            index += 1
            while index < bytes.count, bytes[index] != UInt8(ascii: "}") {
                guard let label = name(), index + 1 < bytes.count,
                    bytes[index] == UInt8(ascii: "="), bytes[index + 1] == UInt8(ascii: "\"")
                else { return nil }
                index += 2
                var value: [UInt8] = []
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count {
                        index += 1
                        value.append(bytes[index] == UInt8(ascii: "n") ? UInt8(ascii: "\n") : bytes[index])
                    } else {
                        value.append(bytes[index])
                    }
                    index += 1
                }
                guard index < bytes.count else { return nil }
                index += 1
                labels[label] = String(decoding: value, as: UTF8.self)
                if index < bytes.count, bytes[index] == UInt8(ascii: ",") { index += 1 }
            }
            guard index < bytes.count else { return nil }
            index += 1
        }
        guard index < bytes.count, bytes[index] == UInt8(ascii: " ") else { return nil }
        let rest = bytes[(index + 1)...].split(separator: UInt8(ascii: " "), maxSplits: 1)
        guard let text = rest.first else { return nil }
        let spelled = String(decoding: text, as: UTF8.self)
        let value: Double? =
            switch spelled {
            case "+Inf": .infinity
            case "-Inf": -.infinity
            case "NaN": .nan
            default: Double(spelled)
            }
        guard let value else { return nil }
        return Sample(name: metric, labels: labels, value: value)
    }
}
