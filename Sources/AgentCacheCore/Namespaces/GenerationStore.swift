/// Where namespace generations come from. In process (`NamespaceGenerations`) on a single
/// node; through Redis when nodes share a cache, so an invalidation on one holds on all.
/// The hot path asks for a generation on every lookup: implementations answer from memory
/// (`.now`) once a namespace is known, and after one read of the shared store otherwise.
/// A generation is only compared for equality (it is part of every key); a shared store never
/// answers 0 for a generation it could not find.
public protocol GenerationStore: Sendable {
    /// The current generation of `namespace`. Cost once known: a lock and a lookup.
    func generation(of namespace: CacheNamespace) -> Eventual<UInt64>

    /// Advances `namespace` to a new generation (making all its keys new) and returns it.
    /// Throws 503 `SERVICE_UNAVAILABLE` when the new generation could not reach every node
    /// (SPEC §4: only an invalidation that holds everywhere is acknowledged).
    func advance(_ namespace: CacheNamespace) async throws(CacheError) -> UInt64
}

extension NamespaceGenerations: GenerationStore {
    /// The in-process generation: one lock and a dictionary lookup, never suspends.
    public func generation(of namespace: CacheNamespace) -> Eventual<UInt64> {
        .value(current(namespace))
    }

    /// Advances the in-process generation; this node only.
    public func advance(_ namespace: CacheNamespace) async throws(CacheError) -> UInt64 {
        advanceNow(namespace)
    }
}
