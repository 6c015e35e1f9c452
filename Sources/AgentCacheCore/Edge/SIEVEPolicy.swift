/// SIEVE (Zhang et al., NSDI 2024): one FIFO and a hand sweeping from the oldest end
/// towards the newest. A read sets a visited bit; the hand clears visited entries and
/// evicts the first unvisited one, so entries stay in insertion order (no move on a hit).
/// A hit is one byte store; eviction is amortised O(1); no allocation once grown.
struct SIEVEPolicy: EvictionPolicy {
    private var links = SlotLinks()
    private var order = SlotList()
    private var visited: [Bool] = []
    /// The next slot the hand examines; `none` means start again from the tail.
    private var hand: Int32 = SlotLinks.none

    /// SIEVE needs no budget split.
    init(budgetBytes: Int) {}

    /// Links `slot` at the newest end, unvisited.
    mutating func inserted(_ slot: Int32, fingerprint: UInt64, cost: Int) {
        links.reserve(slot)
        let index = Int(slot)
        while visited.count <= index { visited.append(false) }
        visited[index] = false
        links.pushFront(slot, onto: &order)
    }

    /// Marks `slot` visited.
    mutating func accessed(_ slot: Int32) {
        visited[Int(slot)] = true
    }

    /// Unlinks `slot`, stepping the hand past it first. The shard only removes live slots.
    mutating func removed(_ slot: Int32) {
        if hand == slot { hand = links.before(slot) }
        links.unlink(slot, from: &order)
    }

    /// Moves the hand towards the newest end, clearing visited bits, to the first unvisited slot.
    mutating func victim() -> Int32? {
        guard !order.isEmpty else { return nil }
        while true {
            if hand == SlotLinks.none { hand = order.tail }
            let index = Int(hand)
            guard visited[index] else { return hand }
            visited[index] = false
            hand = links.before(hand)
        }
    }
}
