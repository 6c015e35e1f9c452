/// A request's cache key with what it was derived in: the tenant namespace and the
/// namespace generation at the time. A lookup with it is a lookup at that generation.
public struct ResolvedKey: Sendable {
    /// The tenant namespace the request acts in.
    public let namespace: CacheNamespace
    /// The namespace generation the key was derived at.
    public let generation: UInt64
    /// The cache key.
    public let key: CacheKey

    /// `key`, derived in `namespace` at `generation`.
    public init(namespace: CacheNamespace, generation: UInt64, key: CacheKey) {
        self.namespace = namespace
        self.generation = generation
        self.key = key
    }
}
