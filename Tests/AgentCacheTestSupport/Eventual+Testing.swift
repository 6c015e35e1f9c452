import AgentCacheCore

extension Eventual {
    /// The value when it is at hand (decided without suspending), else nil; a failure traps.
    public var atHand: Value? {
        guard case .now(let result) = self else { return nil }
        return try! result.get()
    }
}

extension Result {
    /// The success value, or `fallback` on failure.
    public func get(or fallback: Success) -> Success {
        (try? get()) ?? fallback
    }
}
