import NIOConcurrencyHelpers

/// The generation counter of every namespace this node has seen. Bumping a namespace's
/// generation changes every key in it, which is what makes invalidation O(1).
/// One lock-protected dictionary read per lookup.
public final class NamespaceGenerations: Sendable {
    private let generations = NIOLockedValueBox<[String: UInt64]>([:])

    /// Makes an empty table; every namespace starts at generation 0.
    public init() {}

    /// The current generation of `namespace` (0 if never invalidated).
    public func current(_ namespace: CacheNamespace) -> UInt64 {
        generations.withLockedValue { $0[namespace.qualified] ?? 0 }
    }

    /// The generation of `namespace` if this table has ever held it, else nil.
    public func known(_ qualifiedNamespace: String) -> UInt64? {
        generations.withLockedValue { $0[qualifiedNamespace] }
    }

    /// Advances `namespace` to its next generation and returns it.
    @discardableResult
    public func advanceNow(_ namespace: CacheNamespace) -> UInt64 {
        generations.withLockedValue { table in
            let next = (table[namespace.qualified] ?? 0) &+ 1
            table[namespace.qualified] = next
            return next
        }
    }

    /// Raises `namespace` to `generation` if it is behind (another node invalidated it);
    /// never moves a generation backwards. Returns the generation now held.
    @discardableResult
    public func raise(_ qualifiedNamespace: String, to generation: UInt64) -> UInt64 {
        generations.withLockedValue { table in
            let current = table[qualifiedNamespace] ?? 0
            let next = max(current, generation)
            table[qualifiedNamespace] = next
            return next
        }
    }

    /// Every namespace with a non-zero generation, for re-reading after a reconnect.
    public func snapshot() -> [String: UInt64] {
        generations.withLockedValue { $0 }
    }
}
