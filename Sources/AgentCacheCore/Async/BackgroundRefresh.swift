import NIOConcurrencyHelpers

/// Starts at most one background task per key and never waits for it: refresh-ahead and
/// probes that a request triggers but must not wait for (a rate-limit batch running low, a
/// key record about to go stale, a dependency that failed). A second `start` for a key whose
/// task is still running does nothing. Cost: one lock; a task only when one starts.
///
/// Unlike `SingleFlight`, callers never await the shared work: they go on with what they
/// have, and the task's result is left where the next request finds it.
public final class BackgroundRefresh<Key: Hashable & Sendable>: Sendable {
    private let running = NIOLockedValueBox(Set<Key>())

    public init() {}

    /// Runs `operation` as a task unless one for `key` is running already.
    public func start(_ key: Key, _ operation: @escaping @Sendable () async -> Void) {
        guard running.withLockedValue({ $0.insert(key).inserted }) else { return }
        Task { [running] in
            await operation()
            running.withLockedValue { _ = $0.remove(key) }
        }
    }

    /// Whether a task for `key` is running.
    public func isRunning(_ key: Key) -> Bool {
        running.withLockedValue { $0.contains(key) }
    }
}
