#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One request of a synthetic trace: which key, and how big its value is (always the same
/// size for the same key within a trace).
public struct TraceRequest: Sendable, Equatable {
    /// The key's identity within the trace; `TraceSpec.cacheKey(_:)` turns it into a CacheKey.
    public var key: UInt64
    /// The value's payload size in bytes.
    public var size: Int
}

/// A deterministic synthetic key trace: a pattern, value sizes, a length and a seed.
public struct TraceSpec: Sendable, Equatable {
    /// Which keys are requested in which order.
    public enum Pattern: Sendable, Equatable {
        /// Independent draws from `universe` keys, the key of rank r with probability ∝ 1/r^skew.
        case zipf(skew: Double, universe: Int)
        /// The Zipf stream, interrupted after every `period` draws by a sequential scan of
        /// `scanLength` keys that are never requested again (one-hit wonders).
        case zipfWithScans(skew: Double, universe: Int, scanLength: Int, period: Int)
        /// Keys 0, 1, …, length-1, 0, 1, … in a cycle.
        case loop(length: Int)
    }

    /// How big each key's value is.
    public enum Sizes: Sendable, Equatable {
        /// Every value has this many bytes.
        case fixed(Int)
        /// Each key's size is drawn once, log-uniformly in min...max, from a hash of the key.
        case variable(min: Int, max: Int)
    }

    /// The row label in reports, e.g. `zipf-0.99`.
    public var name: String
    /// The key order.
    public var pattern: Pattern
    /// The value sizes.
    public var sizes: Sizes
    /// Requests the trace yields.
    public var requests: Int
    /// Seeds the Zipf draws and the variable sizes.
    public var seed: UInt64

    /// A trace named `name`; same fields, same requests, on every machine.
    public init(name: String, pattern: Pattern, sizes: Sizes, requests: Int, seed: UInt64) {
        self.name = name
        self.pattern = pattern
        self.sizes = sizes
        self.requests = requests
        self.seed = seed
    }

    /// The requests, generated lazily. The Zipf table costs O(universe) once per iterator.
    public func makeIterator() -> TraceIterator { TraceIterator(self) }

    /// The payload size of `key`'s value: O(1), a hash and (for variable sizes) an exp.
    public func size(of key: UInt64) -> Int {
        switch sizes {
        case .fixed(let bytes):
            return bytes
        case .variable(let low, let high):
            let unit = Double(SplitMix64.mix(key ^ seed) >> 11) * 0x1.0p-53
            let size = Int(exp(log(Double(low)) + unit * (log(Double(high)) - log(Double(low)))).rounded())
            return Swift.max(low, Swift.min(high, size))
        }
    }

    /// How many keys, from key 0 upwards, it takes for the values of this trace (plus
    /// `overhead` per entry) to add up to at least `bytes`. O(answer).
    public func keysFilling(_ bytes: Int, overhead: Int) -> Int {
        var total = 0
        var keys = 0
        while total < bytes {
            total += size(of: UInt64(keys)) + overhead
            keys += 1
        }
        return keys
    }

    /// The 128-bit cache key for a trace key: two different scrambles, so the high word
    /// (stripe choice) and the low word (dictionary, fingerprint) are independent. O(1).
    public static func cacheKey(_ key: UInt64) -> CacheKey {
        CacheKey(high: SplitMix64.mix(key), low: SplitMix64.mix(key ^ 0x5DEE_CE66_D1CE_4E5B))
    }
}

extension TraceSpec: Sequence {}

/// Walks a `TraceSpec`: O(log universe) per Zipf request (a binary search of the CDF),
/// O(1) per scan or loop request, no allocation after the first.
public struct TraceIterator: IteratorProtocol, Sendable {
    /// Scan keys live above this bit, so they never meet a Zipf or loop key.
    private static let scanKeyBase: UInt64 = 1 << 62
    private let spec: TraceSpec
    private var random: SplitMix64
    private var zipf: ZipfDistribution?
    private var emitted = 0
    /// Zipf draws since the last scan, and what is left of the current scan.
    private var sinceScan = 0
    private var scanLeft = 0
    private var nextScanKey: UInt64 = 0

    init(_ spec: TraceSpec) {
        self.spec = spec
        random = SplitMix64(seed: spec.seed)
        switch spec.pattern {
        case .zipf(let skew, let universe), .zipfWithScans(let skew, let universe, _, _):
            zipf = ZipfDistribution(skew: skew, universe: universe)
        case .loop:
            zipf = nil
        }
    }

    /// The next request, nil after `spec.requests`.
    public mutating func next() -> TraceRequest? {
        guard emitted < spec.requests else { return nil }
        emitted += 1
        let key: UInt64
        switch spec.pattern {
        case .zipf:
            key = zipf!.sample(random.nextUnit())
        case .zipfWithScans(_, _, let scanLength, let period):
            if scanLeft == 0 && sinceScan >= period {
                scanLeft = scanLength
                sinceScan = 0
            }
            if scanLeft > 0 {
                scanLeft -= 1
                key = Self.scanKeyBase | nextScanKey
                nextScanKey += 1
            } else {
                sinceScan += 1
                key = zipf!.sample(random.nextUnit())
            }
        case .loop(let length):
            key = UInt64((emitted - 1) % length)
        }
        return TraceRequest(key: key, size: spec.size(of: key))
    }
}

/// Zipf over ranks 0..<universe (rank r drawn with probability ∝ 1/(r+1)^skew) by inverting
/// its cumulative table: O(universe) doubles to build, O(log universe) per draw.
struct ZipfDistribution: Sendable {
    private let cumulative: [Double]

    /// The table for `universe` ranks at exponent `skew`.
    init(skew: Double, universe: Int) {
        var table = [Double]()
        table.reserveCapacity(universe)
        var total = 0.0
        for rank in 1...max(1, universe) {
            total += 1 / pow(Double(rank), skew)
            table.append(total)
        }
        cumulative = table.map { $0 / total }
    }

    /// The rank whose cumulative probability first exceeds `unit` (in [0, 1)).
    func sample(_ unit: Double) -> UInt64 {
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] > unit { high = middle } else { low = middle + 1 }
        }
        return UInt64(low)
    }
}
