/// Exact least-recently-used order as an intrusive doubly linked list over slots, kept in
/// two flat arrays: O(1) per operation, no allocation once the arrays have grown. The
/// simulator's reference policy; the edge tier used it before `S3FIFOPolicy`.
struct LRUPolicy: EvictionPolicy {
    private var links = SlotLinks()
    /// Head: most recently used. Tail: least recently used, the victim.
    private var order = SlotList()

    /// Keeps no per-queue budget: the order alone decides.
    init(budgetBytes: Int) {}

    /// Links `slot` in as most recent; fingerprint and cost play no part in LRU.
    mutating func inserted(_ slot: Int32, fingerprint: UInt64, cost: Int) {
        links.reserve(slot)
        links.pushFront(slot, onto: &order)
    }

    /// Moves `slot` to the front: an unlink and a link.
    mutating func accessed(_ slot: Int32) {
        guard order.head != slot else { return }
        links.unlink(slot, from: &order)
        links.pushFront(slot, onto: &order)
    }

    /// Unlinks `slot`.
    mutating func removed(_ slot: Int32) {
        links.unlink(slot, from: &order)
    }

    /// The least recently used slot.
    mutating func victim() -> Int32? {
        order.isEmpty ? nil : order.tail
    }
}
