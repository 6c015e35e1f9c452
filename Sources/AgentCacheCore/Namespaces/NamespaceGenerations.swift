import NIOConcurrencyHelpers

/// The generation of every namespace this node has seen. Changing a namespace's generation
/// changes every key in it, which is what makes invalidation O(1).
/// One lock-protected dictionary read per lookup.
///
/// On a single node generations count up from 0 (`advanceNow`). Shared through Redis they are
/// random epochs (`RedisGenerations`), set with `set(_:to:)`; each namespace then also carries
/// a change count, so an answer read from Redis is only taken when nothing newer (a broadcast)
/// arrived while it was on its way (`set(_:to:ifUnchangedSince:)`).
public final class NamespaceGenerations: Sendable {
    /// A namespace's generation and how many times this table has changed it.
    private struct Slot {
        var generation: UInt64
        var changes: UInt64
    }

    private let slots = NIOLockedValueBox<[String: Slot]>([:])

    /// Makes an empty table; every namespace starts at generation 0.
    public init() {}

    /// The current generation of `namespace` (0 if never invalidated).
    public func current(_ namespace: CacheNamespace) -> UInt64 {
        slots.withLockedValue { $0[namespace.qualified]?.generation ?? 0 }
    }

    /// The generation of `namespace` if this table has ever held it, else nil.
    public func known(_ qualifiedNamespace: String) -> UInt64? {
        slots.withLockedValue { $0[qualifiedNamespace]?.generation }
    }

    /// How many times this table has changed `qualifiedNamespace` (0 when it never held it):
    /// read before asking Redis, handed to `set(_:to:ifUnchangedSince:)` with the answer.
    public func changes(of qualifiedNamespace: String) -> UInt64 {
        slots.withLockedValue { $0[qualifiedNamespace]?.changes ?? 0 }
    }

    /// Advances `namespace` to its next generation (current + 1) and returns it.
    @discardableResult
    public func advanceNow(_ namespace: CacheNamespace) -> UInt64 {
        slots.withLockedValue { table in
            let next = (table[namespace.qualified]?.generation ?? 0) &+ 1
            table[namespace.qualified] = Slot(generation: next, changes: (table[namespace.qualified]?.changes ?? 0) + 1)
            return next
        }
    }

    /// Sets `qualifiedNamespace` to `generation`, whatever it held (a broadcast, or an epoch
    /// made here). Setting the value it already holds changes nothing.
    /// Returns whether it replaced another generation (not a first sight, not the same value).
    @discardableResult
    public func set(_ qualifiedNamespace: String, to generation: UInt64) -> Bool {
        slots.withLockedValue { table in
            let old = table[qualifiedNamespace]
            guard old?.generation != generation else { return false }
            table[qualifiedNamespace] = Slot(generation: generation, changes: (old?.changes ?? 0) + 1)
            return old != nil
        }
    }

    /// Sets `qualifiedNamespace` to `generation` only when the table has not changed it since
    /// `changes` was read (`changes(of:)`); otherwise what arrived meanwhile is newer and stays.
    /// Returns whether `generation` was taken (or already held).
    @discardableResult
    public func set(_ qualifiedNamespace: String, to generation: UInt64, ifUnchangedSince changes: UInt64) -> Bool {
        slots.withLockedValue { table in
            let old = table[qualifiedNamespace]
            guard (old?.changes ?? 0) == changes else { return false }
            if old?.generation != generation {
                table[qualifiedNamespace] = Slot(generation: generation, changes: changes + 1)
            }
            return true
        }
    }

    /// Every namespace the table holds with its generation, for re-reading after a reconnect.
    public func snapshot() -> [String: UInt64] {
        slots.withLockedValue { $0.mapValues(\.generation) }
    }
}
