/// Fingerprints of keys recently evicted without reuse, remembered for the last `window`
/// insertions: a 4-way set-associative table of (fingerprint, insertion stamp). An entry
/// older than the window counts as gone and is the first to be overwritten. Collisions
/// may forget a fingerprint early (never invent one that was not inserted, bar 64-bit
/// fingerprint clashes). O(1) per call; allocates only in `reserve`.
struct GhostQueue: Sendable {
    private static let ways = 4
    /// 0 marks an empty way; fingerprint 0 is stored as 1.
    private var fingerprints: [UInt64] = []
    private var stamps: [UInt64] = []
    private var bucketMask = 0
    private var clock: UInt64 = 0

    /// Makes room for a window of at least `entries` fingerprints (table of about twice
    /// that). Rehashes the live fingerprints when it grows: O(table), rare.
    mutating func reserve(_ entries: Int) {
        var buckets = max(1, bucketMask + 1)
        while buckets * Self.ways < entries * 2 { buckets *= 2 }
        guard buckets * Self.ways > fingerprints.count else { return }
        let oldFingerprints = fingerprints
        let oldStamps = stamps
        fingerprints = Array(repeating: 0, count: buckets * Self.ways)
        stamps = Array(repeating: 0, count: buckets * Self.ways)
        bucketMask = buckets - 1
        for index in oldFingerprints.indices where oldFingerprints[index] != 0 {
            place(oldFingerprints[index], stamp: oldStamps[index], window: .max)
        }
    }

    /// Remembers `fingerprint` as the newest ghost.
    mutating func insert(_ fingerprint: UInt64, window: Int) {
        guard !fingerprints.isEmpty else { return }
        clock += 1
        place(fingerprint, stamp: clock, window: window)
    }

    /// True (and forgets it) when `fingerprint` was inserted within the last `window` insertions.
    mutating func remove(_ fingerprint: UInt64, window: Int) -> Bool {
        guard !fingerprints.isEmpty else { return false }
        let stored = Self.stored(fingerprint)
        let base = bucket(of: stored)
        var live = false
        for way in base..<(base + Self.ways) where fingerprints[way] == stored {
            live = live || clock - stamps[way] < UInt64(window)
            fingerprints[way] = 0
        }
        return live
    }

    /// Writes into `fingerprint`'s bucket: over its own old copy, an empty or expired
    /// way, else the oldest way.
    private mutating func place(_ fingerprint: UInt64, stamp: UInt64, window: Int) {
        let stored = Self.stored(fingerprint)
        let base = bucket(of: stored)
        var target = base
        for way in base..<(base + Self.ways) {
            if fingerprints[way] == stored || fingerprints[way] == 0 || clock - stamps[way] >= UInt64(window) {
                target = way
                break
            }
            if stamps[way] < stamps[target] { target = way }
        }
        fingerprints[target] = stored
        stamps[target] = stamp
    }

    private func bucket(of stored: UInt64) -> Int {
        // The high bits: the low word of a key also feeds the store's dictionary.
        (Int(truncatingIfNeeded: stored >> 32) & bucketMask) &* Self.ways
    }

    private static func stored(_ fingerprint: UInt64) -> UInt64 { fingerprint == 0 ? 1 : fingerprint }
}
