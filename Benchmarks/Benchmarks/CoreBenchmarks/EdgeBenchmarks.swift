import AgentCacheCore
import Benchmark
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Edge tier get/set at 1 and 2 threads, against a plain `Dictionary` doing the same loop.
///
/// Every benchmark here does exactly 1M operations per iteration (`scalingFactor: .mega`), in
/// total across its threads, so the reported ops/s compare directly between 1 and 2 threads and
/// with the dictionary. Iterations this long (a few hundred ms) also make the cost of starting
/// the second thread irrelevant.
func registerEdgeBenchmarks() {
    let configuration = Benchmark.Configuration(
        metrics: [.throughput, .wallClock, .cpuTotal, .mallocCountTotal, kOpsPerSecond],
        units: [kOpsPerSecond: .count],
        scalingFactor: .mega
    )
    let opsPerIteration = BenchmarkScalingFactor.mega.rawValue

    for threads in [1, 2] {
        Benchmark("Edge get (\(threads) thread\(threads == 1 ? "" : "s"))", configuration: configuration) { benchmark, cache in
            recordingKOps(benchmark, ops: opsPerIteration) {
                splitAcrossThreads(threads, totalOps: opsPerIteration) { start, count in
                    edgeGets(cache, start: start, count: count)
                }
            }
        } setup: {
            prefilledEdgeCache()
        }
    }

    for threads in [1, 2] {
        Benchmark("Edge set (\(threads) thread\(threads == 1 ? "" : "s"))", configuration: configuration) { benchmark, cache in
            recordingKOps(benchmark, ops: opsPerIteration) {
                splitAcrossThreads(threads, totalOps: opsPerIteration) { start, count in
                    edgeSets(cache, start: start, count: count)
                }
            }
        } setup: {
            prefilledEdgeCache()
        }
    }

    // The floor for "Edge get (1 thread)": same keys, same entries, same loop, no lock,
    // no LRU bookkeeping, no statistics.
    Benchmark("Dictionary get baseline", configuration: configuration) { benchmark, box in
        recordingKOps(benchmark, ops: opsPerIteration) {
            dictionaryGets(box.dictionary, start: 0, count: opsPerIteration)
        }
    } setup: {
        DictionaryBox()
    }

    // What 2 threads can gain on this machine at all: read-only lookups share nothing that is
    // written, so their 2-thread / 1-thread ratio is the ceiling for "Edge get (2 threads)".
    Benchmark("Dictionary get baseline (2 threads, read-only)", configuration: configuration) { benchmark, box in
        let dictionary = box.dictionary
        recordingKOps(benchmark, ops: opsPerIteration) {
            splitAcrossThreads(2, totalOps: opsPerIteration) { start, count in
                dictionaryGets(dictionary, start: start, count: count)
            }
        }
    } setup: {
        DictionaryBox()
    }

    // The floor for "Edge set (1 thread)": overwriting an existing key in a Dictionary.
    Benchmark("Dictionary set baseline", configuration: configuration) { benchmark, box in
        let keys = Fixtures.keys
        let entries = Fixtures.entries
        recordingKOps(benchmark, ops: opsPerIteration) {
            var index = 0
            for _ in 0..<opsPerIteration {
                box.dictionary[keys[index]] = entries[index]
                index += 1
                if index == keys.count { index = 0 }
            }
        }
        blackHole(box.dictionary.count)
    } setup: {
        DictionaryBox()
    }
}

/// Operations per second in thousands, all threads together, one sample per iteration.
///
/// The built-in throughput row of a `.mega`-scaled benchmark is shown in whole M ops/s, too
/// coarse to compare 1 and 2 threads (both print "3"); this row keeps four digits.
let kOpsPerSecond = BenchmarkMetric.custom("Throughput (K ops/s, all threads)", polarity: .prefersLarger, useScalingFactor: false)

/// Runs `work` (which does `ops` operations) and records its rate as `kOpsPerSecond`.
private func recordingKOps(_ benchmark: Benchmark, ops: Int, _ work: () -> Void) {
    let clock = ContinuousClock()
    let elapsed = clock.measure(work)
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    benchmark.measurement(kOpsPerSecond, Int((Double(ops) / seconds / 1000).rounded()))
}

/// A default-configuration edge tier (256 MiB over 16 stripes) holding every fixture entry.
/// 100k entries of 1 KiB cost ~115 MB of budget, so nothing is evicted and every get hits.
private func prefilledEdgeCache() -> EdgeCache {
    let cache = EdgeCache()
    for (key, entry) in zip(Fixtures.keys, Fixtures.entries) {
        cache.set(key, entry: entry, namespace: Fixtures.namespace, now: Fixtures.now)
    }
    let statistics = cache.statistics()
    precondition(statistics.entries == Fixtures.keyCount && statistics.evictions == 0, "edge prefill lost entries: \(statistics)")
    return cache
}

/// The dictionary baseline's state; a class so the set benchmark can mutate it in place.
private final class DictionaryBox {
    var dictionary: [CacheKey: CacheEntry]

    init() {
        dictionary = Dictionary(uniqueKeysWithValues: zip(Fixtures.keys, Fixtures.entries))
    }
}

/// Runs `totalOps` operations split evenly over `threads` threads, each starting at a different
/// key so the threads do not walk the stripes in lock step. The calling thread runs share 0.
///
/// Extra threads are plain pthreads created per iteration rather than Dispatch or a task group:
/// with `DispatchQueue.concurrentPerform` the 2-thread get showed CPU time equal to wall time
/// inside the benchmark runner, i.e. both shares ran on one thread and nothing was measured.
/// Creating a thread costs tens of µs against iterations of hundreds of ms, so it does not show.
private func splitAcrossThreads(_ threads: Int, totalOps: Int, _ body: @escaping @Sendable (_ start: Int, _ count: Int) -> Void) {
    let stride = Fixtures.keyCount / threads
    let share = totalOps / threads
    let workers = (1..<threads).map { thread in
        startThread { body(thread * stride, share) }
    }
    body(0, share)
    workers.forEach(joinThread)
}

/// The closure a started thread runs, boxed so it can travel through pthread's `void *`.
private final class ThreadBody {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

/// Starts a joinable pthread running `body`.
private func startThread(_ body: @escaping @Sendable () -> Void) -> pthread_t {
    var thread = pthread_t()
    let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    let status = pthread_create(&thread, nil, { context in
        let body = Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue()
        body.run()
        return nil
    }, context)
    precondition(status == 0, "pthread_create failed: \(status)")
    return thread
}

/// Waits for `thread` to finish.
private func joinThread(_ thread: pthread_t) {
    let status = pthread_join(thread, nil)
    precondition(status == 0, "pthread_join failed: \(status)")
}

/// `count` gets walking the key list from `start`, wrapping around.
@inline(never)
private func edgeGets(_ cache: EdgeCache, start: Int, count: Int) {
    let keys = Fixtures.keys
    let now = Fixtures.now
    var index = start
    for _ in 0..<count {
        blackHole(cache.get(keys[index], now: now))
        index += 1
        if index == keys.count { index = 0 }
    }
}

/// `count` dictionary lookups walking the key list like `edgeGets` (out of line like it, too).
@inline(never)
private func dictionaryGets(_ dictionary: [CacheKey: CacheEntry], start: Int, count: Int) {
    let keys = Fixtures.keys
    var index = start
    for _ in 0..<count {
        blackHole(dictionary[keys[index]])
        index += 1
        if index == keys.count { index = 0 }
    }
}

/// `count` sets walking the key list from `start`: each replaces a live entry with one of the
/// same size, as the engine does (with its namespace), so the tier stays at 100k entries.
@inline(never)
private func edgeSets(_ cache: EdgeCache, start: Int, count: Int) {
    let keys = Fixtures.keys
    let entries = Fixtures.entries
    let namespace = Fixtures.namespace
    let now = Fixtures.now
    var index = start
    for _ in 0..<count {
        blackHole(cache.set(keys[index], entry: entries[index], namespace: namespace, now: now))
        index += 1
        if index == keys.count { index = 0 }
    }
}
