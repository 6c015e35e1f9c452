/// Exact least-recently-used order as an intrusive doubly linked list over slots, kept in
/// two flat arrays: O(1) per operation, no allocation once the arrays have grown.
struct LRUPolicy: EvictionPolicy {
    private static let none: Int32 = -1
    private var previous: [Int32] = []
    private var next: [Int32] = []
    /// Most recently used.
    private var head: Int32 = none
    /// Least recently used: the victim.
    private var tail: Int32 = none

    init() {}

    mutating func inserted(_ slot: Int32) {
        let index = Int(slot)
        while previous.count <= index {
            previous.append(Self.none)
            next.append(Self.none)
        }
        pushFront(slot)
    }

    mutating func accessed(_ slot: Int32) {
        guard head != slot else { return }
        unlink(slot)
        pushFront(slot)
    }

    mutating func removed(_ slot: Int32) {
        unlink(slot)
    }

    mutating func victim() -> Int32? {
        tail == Self.none ? nil : tail
    }

    private mutating func pushFront(_ slot: Int32) {
        let index = Int(slot)
        previous[index] = Self.none
        next[index] = head
        if head != Self.none { previous[Int(head)] = slot }
        head = slot
        if tail == Self.none { tail = slot }
    }

    private mutating func unlink(_ slot: Int32) {
        let index = Int(slot)
        let before = previous[index]
        let after = next[index]
        if before != Self.none { next[Int(before)] = after } else if head == slot { head = after }
        if after != Self.none { previous[Int(after)] = before } else if tail == slot { tail = before }
        previous[index] = Self.none
        next[index] = Self.none
    }
}
