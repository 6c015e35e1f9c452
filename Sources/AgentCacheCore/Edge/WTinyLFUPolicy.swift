/// W-TinyLFU (Einziger, Friedman, Manes 2017): new entries enter a small LRU window (~1% of
/// the bytes); the window's oldest entry is admitted to the main segmented LRU only if a
/// count-min sketch says its key is requested more often than main's victim. Main keeps
/// entries read twice in a protected segment (80%). The sketch ages by halving.
/// A hit is four counter bumps and a list move; eviction O(1); halving O(width) amortised.
struct WTinyLFUPolicy: EvictionPolicy {
    private enum Queue: UInt8 { case absent, window, probation, protected }

    static let windowPermille = TemporaryTuning.int("TL_WINDOW", 10)
    static let protectedPercent = 80

    private var links = SlotLinks()
    private var window = SlotList()
    private var probation = SlotList()
    private var protected = SlotList()
    private var queue: [Queue] = []
    private var costs: [Int] = []
    private var fingerprints: [UInt64] = []
    private var sketch = FrequencySketch()
    private let windowBudget: Int
    private let protectedBudget: Int
    private var windowBytes = 0
    private var protectedBytes = 0
    /// The entry last moved from window to probation and not yet weighed, or `none`.
    private var candidate: Int32 = SlotLinks.none

    /// A policy for a shard of `budgetBytes`.
    init(budgetBytes: Int) {
        windowBudget = Int(Double(budgetBytes) * Double(Self.windowPermille) / 1000)
        protectedBudget = Int(Double(budgetBytes - windowBudget) * Double(Self.protectedPercent) / 100)
    }

    /// Counts the key and links `slot` at the front of the window.
    mutating func inserted(_ slot: Int32, fingerprint: UInt64, cost: Int) {
        links.reserve(slot)
        let index = Int(slot)
        while queue.count <= index {
            queue.append(.absent)
            costs.append(0)
            fingerprints.append(0)
        }
        sketch.reserve(queue.count)
        sketch.increment(fingerprint)
        costs[index] = cost
        fingerprints[index] = fingerprint
        queue[index] = .window
        links.pushFront(slot, onto: &window)
        windowBytes += cost
        // The window's overflow moves to probation; the newest arrival there is the
        // candidate the next eviction weighs against probation's oldest entry.
        while windowBytes > windowBudget, window.tail != slot {
            let moved = window.tail
            links.unlink(moved, from: &window)
            windowBytes -= costs[Int(moved)]
            queue[Int(moved)] = .probation
            links.pushFront(moved, onto: &probation)
            candidate = moved
        }
    }

    /// Counts the key and refreshes its recency; a second read in main protects it.
    mutating func accessed(_ slot: Int32) {
        let index = Int(slot)
        sketch.increment(fingerprints[index])
        switch queue[index] {
        case .absent:
            return
        case .window:
            links.unlink(slot, from: &window)
            links.pushFront(slot, onto: &window)
        case .probation:
            links.unlink(slot, from: &probation)
            queue[index] = .protected
            links.pushFront(slot, onto: &protected)
            protectedBytes += costs[index]
            while protectedBytes > protectedBudget, protected.tail != slot {
                let demoted = protected.tail
                links.unlink(demoted, from: &protected)
                protectedBytes -= costs[Int(demoted)]
                queue[Int(demoted)] = .probation
                links.pushFront(demoted, onto: &probation)
            }
        case .protected:
            links.unlink(slot, from: &protected)
            links.pushFront(slot, onto: &protected)
        }
    }

    /// Unlinks `slot` from whichever segment holds it.
    mutating func removed(_ slot: Int32) {
        let index = Int(slot)
        switch queue[index] {
        case .absent: return
        case .window:
            links.unlink(slot, from: &window)
            windowBytes -= costs[index]
        case .probation:
            links.unlink(slot, from: &probation)
        case .protected:
            links.unlink(slot, from: &protected)
            protectedBytes -= costs[index]
        }
        queue[index] = .absent
        if candidate == slot { candidate = SlotLinks.none }
    }

    /// Weighs the newest arrival in probation against probation's oldest entry and returns
    /// the less frequent (TinyLFU admission); otherwise the oldest of probation, protected, window.
    mutating func victim() -> Int32? {
        if candidate != SlotLinks.none, probation.tail != candidate {
            let arrival = candidate
            candidate = SlotLinks.none
            let oldest = probation.tail
            return sketch.estimate(fingerprints[Int(arrival)]) > sketch.estimate(fingerprints[Int(oldest)]) ? oldest : arrival
        }
        if !probation.isEmpty { return probation.tail }
        if !protected.isEmpty { return protected.tail }
        return window.isEmpty ? nil : window.tail
    }
}

/// Count-min sketch of 4 rows of saturating 4-bit counters (one byte each), halved every
/// 10 × width increments so old popularity fades. O(1) per increment or estimate.
struct FrequencySketch: Sendable {
    private static let rows = 4
    private static let multipliers: [UInt64] = [0x9E37_79B9_7F4A_7C15, 0xC2B2_AE3D_27D4_EB4F, 0x1656_67B1_9E37_79F9, 0xD6E8_FEB8_6659_FD93]
    private var counters: [UInt8] = []
    private var shift: UInt64 = 64
    private var width = 0
    private var additions = 0

    /// Grows to a width of at least `entries` (rounded up to a power of two), forgetting
    /// the counts: happens only while a shard first fills.
    mutating func reserve(_ entries: Int) {
        guard entries > width else { return }
        var newWidth = max(16, width)
        while newWidth < entries { newWidth *= 2 }
        width = newWidth
        shift = UInt64(64 - newWidth.trailingZeroBitCount)
        counters = Array(repeating: 0, count: newWidth * Self.rows)
        additions = 0
    }

    /// Counts one request for `fingerprint`.
    mutating func increment(_ fingerprint: UInt64) {
        guard width > 0 else { return }
        for row in 0..<Self.rows {
            let index = row * width + Int(truncatingIfNeeded: (fingerprint &* Self.multipliers[row]) >> shift)
            if counters[index] < 15 { counters[index] += 1 }
        }
        additions += 1
        if additions >= width * 10 {
            for index in counters.indices { counters[index] >>= 1 }
            additions /= 2
        }
    }

    /// The estimated recent request count of `fingerprint` (never below the truth, bar ageing).
    func estimate(_ fingerprint: UInt64) -> UInt8 {
        guard width > 0 else { return 0 }
        var least: UInt8 = 15
        for row in 0..<Self.rows {
            let index = row * width + Int(truncatingIfNeeded: (fingerprint &* Self.multipliers[row]) >> shift)
            least = min(least, counters[index])
        }
        return least
    }
}
