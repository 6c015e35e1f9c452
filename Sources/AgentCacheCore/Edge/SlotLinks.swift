/// Head and tail of one doubly linked list of slots whose links live in a `SlotLinks`.
struct SlotList: Sendable {
    /// Front: the most recently linked slot.
    fileprivate(set) var head: Int32 = SlotLinks.none
    /// Back: the oldest slot, where eviction looks first.
    fileprivate(set) var tail: Int32 = SlotLinks.none

    /// True when the list holds no slot.
    var isEmpty: Bool { head == SlotLinks.none }
}

/// Intrusive doubly linked lists over slots, kept in two flat arrays shared by every list
/// that threads through them (a slot is on at most one list). O(1) per operation, no
/// allocation once the arrays have grown to the highest slot.
struct SlotLinks: Sendable {
    /// The link value meaning "no slot".
    static let none: Int32 = -1
    private var previous: [Int32] = []
    private var next: [Int32] = []

    /// Grows the arrays so `slot` can be linked. Amortised O(1).
    mutating func reserve(_ slot: Int32) {
        let index = Int(slot)
        while previous.count <= index {
            previous.append(Self.none)
            next.append(Self.none)
        }
    }

    /// The slot linked before `slot` (towards the head), `none` at the head.
    func before(_ slot: Int32) -> Int32 { previous[Int(slot)] }

    /// Links `slot` (reserved, on no list) at the head of `list`. O(1).
    mutating func pushFront(_ slot: Int32, onto list: inout SlotList) {
        let index = Int(slot)
        previous[index] = Self.none
        next[index] = list.head
        if list.head != Self.none { previous[Int(list.head)] = slot }
        list.head = slot
        if list.tail == Self.none { list.tail = slot }
    }

    /// Unlinks `slot` from `list` (a slot on no list leaves `list` as it was). O(1).
    mutating func unlink(_ slot: Int32, from list: inout SlotList) {
        let index = Int(slot)
        let before = previous[index]
        let after = next[index]
        if before != Self.none { next[Int(before)] = after } else if list.head == slot { list.head = after }
        if after != Self.none { previous[Int(after)] = before } else if list.tail == slot { list.tail = before }
        previous[index] = Self.none
        next[index] = Self.none
    }
}
