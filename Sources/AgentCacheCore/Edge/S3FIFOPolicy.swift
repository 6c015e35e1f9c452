/// S3-FIFO (Yang et al., SOSP 2023): new entries enter a small FIFO (5% of the bytes);
/// those read while there move to the main FIFO, the rest leave and leave their key's
/// fingerprint in a ghost queue, so a key that comes back soon goes straight to main.
/// Main gives entries read since they last reached its tail another lap (2-bit counter).
/// One-hit wonders (scans) pass through the small queue without flushing main.
/// A hit is one byte store; eviction is amortised O(1); no allocation once grown.
struct S3FIFOPolicy: EvictionPolicy {
    /// Which queue a slot is on.
    private enum Queue: UInt8 { case absent, small, main }

    /// Share of the byte budget the small queue may hold before it is evicted from first.
    /// 5 beat the paper's 10 on every simulated trace (`agentcache simulate`).
    static let smallSharePercent = 5
    /// Reads a small-queue entry needs to be promoted to main rather than dropped (2 lost to
    /// LRU on Zipf 1.2).
    static let promotionReads: UInt8 = 1
    /// Reads remembered per entry (laps of main it is granted).
    static let maxReads: UInt8 = 3
    /// The ghost remembers as many evictions as this percentage of the live entries;
    /// 50 beat 25, 75, 100 and 200 on the simulated Zipf and scan traces.
    static let ghostPercent = 50

    private var links = SlotLinks()
    private var small = SlotList()
    private var main = SlotList()
    private var queue: [Queue] = []
    private var reads: [UInt8] = []
    private var costs: [Int] = []
    private var fingerprints: [UInt64] = []
    private var ghost = GhostQueue()
    private let smallBudget: Int
    private var smallBytes = 0
    private var entries = 0

    /// A policy for a shard of `budgetBytes`; the small queue gets `smallSharePercent` of it.
    init(budgetBytes: Int) {
        smallBudget = Int(Double(budgetBytes) * Double(Self.smallSharePercent) / 100)
    }

    private var ghostWindow: Int { max(1, entries * Self.ghostPercent / 100) }

    /// Links `slot` into main when its key is a recent ghost, else into the small queue.
    mutating func inserted(_ slot: Int32, fingerprint: UInt64, cost: Int) {
        reserve(slot)
        let index = Int(slot)
        reads[index] = 0
        costs[index] = cost
        fingerprints[index] = fingerprint
        entries += 1
        if ghost.remove(fingerprint, window: ghostWindow) {
            queue[index] = .main
            links.pushFront(slot, onto: &main)
        } else {
            queue[index] = .small
            links.pushFront(slot, onto: &small)
            smallBytes += cost
        }
    }

    /// Counts a read (saturating): one byte store, no list work.
    mutating func accessed(_ slot: Int32) {
        let index = Int(slot)
        if reads[index] < Self.maxReads { reads[index] += 1 }
    }

    /// Unlinks `slot` from whichever queue holds it.
    mutating func removed(_ slot: Int32) {
        let index = Int(slot)
        switch queue[index] {
        case .absent:
            return
        case .small:
            links.unlink(slot, from: &small)
            smallBytes -= costs[index]
        case .main:
            links.unlink(slot, from: &main)
        }
        queue[index] = .absent
        entries -= 1
    }

    /// Evicts from the small queue while it is over its share (promoting entries read there,
    /// remembering the others as ghosts), else from main (re-queueing entries read since
    /// their last lap, one read fewer). Amortised O(1): each move is paid for by a read.
    mutating func victim() -> Int32? {
        while true {
            if !small.isEmpty && (smallBytes >= smallBudget || main.isEmpty) {
                let slot = small.tail
                let index = Int(slot)
                if reads[index] >= Self.promotionReads {
                    links.unlink(slot, from: &small)
                    smallBytes -= costs[index]
                    reads[index] = 0
                    queue[index] = .main
                    links.pushFront(slot, onto: &main)
                    continue
                }
                ghost.insert(fingerprints[index], window: ghostWindow)
                return slot
            }
            guard !main.isEmpty else { return nil }
            let slot = main.tail
            let index = Int(slot)
            if reads[index] > 0 {
                reads[index] -= 1
                links.unlink(slot, from: &main)
                links.pushFront(slot, onto: &main)
                continue
            }
            return slot
        }
    }

    private mutating func reserve(_ slot: Int32) {
        links.reserve(slot)
        let index = Int(slot)
        guard queue.count <= index else { return }
        while queue.count <= index {
            queue.append(.absent)
            reads.append(0)
            costs.append(0)
            fingerprints.append(0)
        }
        ghost.reserve(queue.count * Self.ghostPercent / 100)
    }
}
