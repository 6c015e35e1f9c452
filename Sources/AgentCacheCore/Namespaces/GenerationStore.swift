/// Where namespace generations come from. In process (`NamespaceGenerations`) on a single
/// node; through Redis when nodes share a cache, so an invalidation on one holds on all.
/// The hot path asks for a generation on every lookup: implementations answer from memory
/// once a namespace is known.
public protocol GenerationStore: Sendable {
    /// The current generation of `namespace`.
    func generation(of namespace: CacheNamespace) async -> UInt64

    /// Advances `namespace` to a new generation (making all its keys new) and returns it.
    func advance(_ namespace: CacheNamespace) async -> UInt64

    /// The generation of `namespace` when it is known in memory, without suspending; nil when
    /// only `generation(of:)` can tell (a shared store that has not loaded it yet).
    func knownGeneration(of namespace: CacheNamespace) -> UInt64?
}

extension NamespaceGenerations: GenerationStore {
    /// The in-process generation: one lock and a dictionary lookup, never suspends.
    public func generation(of namespace: CacheNamespace) async -> UInt64 {
        current(namespace)
    }

    /// The in-process generation: always known (0 for a namespace never invalidated).
    public func knownGeneration(of namespace: CacheNamespace) -> UInt64? {
        current(namespace)
    }

    /// Advances the in-process generation; this node only.
    public func advance(_ namespace: CacheNamespace) async -> UInt64 {
        advanceNow(namespace)
    }
}
