import Synchronization

/// Coalesces concurrent work on one key (groupcache's singleflight): the first caller for a
/// key runs the operation in its own task; callers arriving while it runs wait for its result
/// or its error instead of repeating the work. Cost: one lock per call and, for a waiter, one
/// continuation. Cancellation-safe: a cancelled waiter leaves alone (the leader keeps going);
/// a failed or cancelled leader wakes every waiter with its error, so nobody hangs.
public final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// One waiter's continuation; nil result means "the flight ended before I joined, retry".
    private typealias Waiter = CheckedContinuation<Value?, any Error>

    private struct State {
        /// Waiters of each key in flight, by waiter id.
        var flights: [Key: [UInt64: Waiter]] = [:]
        /// Waiters between joining and registering their continuation, with whether they
        /// were cancelled meanwhile (so a cancellation in that gap is not lost).
        var joining: [UInt64: Bool] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Makes an empty group.
    public init() {}

    /// Runs `operation` for `key` unless a run is in flight, in which case waits for that run.
    /// `shared` is true when the value came from another caller's run.
    public func run(_ key: Key, _ operation: () async throws -> Value) async throws -> (value: Value, shared: Bool) {
        while true {
            let waiterID: UInt64? = state.withLock { state in
                if state.flights[key] == nil {
                    state.flights[key] = [:]
                    return nil
                }
                state.nextID += 1
                state.joining[state.nextID] = false
                return state.nextID
            }
            guard let waiterID else { return (try await lead(key, operation), false) }
            if let value = try await wait(for: key, id: waiterID) { return (value, true) }
        }
    }

    /// Runs the operation as leader and hands its outcome to every waiter.
    private func lead(_ key: Key, _ operation: () async throws -> Value) async throws -> Value {
        let result: Result<Value, any Error>
        do { result = .success(try await operation()) } catch { result = .failure(error) }
        let waiters = state.withLock { $0.flights.removeValue(forKey: key) ?? [:] }
        for waiter in waiters.values { waiter.resume(with: result.map { Optional($0) }) }
        return try result.get()
    }

    /// Waits for the flight on `key`; nil when it ended before this waiter could join.
    private func wait(for key: Key, id: UInt64) async throws -> Value? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                let outcome: Result<Value?, any Error>? = state.withLock { state in
                    if state.joining.removeValue(forKey: id) == true { return .failure(CancellationError()) }
                    guard state.flights[key] != nil else { return .success(nil) }
                    state.flights[key]?[id] = continuation
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            // Only this waiter leaves; the leader and the other waiters carry on.
            let waiter: Waiter? = state.withLock { state in
                if let waiter = state.flights[key]?.removeValue(forKey: id) { return waiter }
                if state.joining[id] != nil { state.joining[id] = true }
                return nil
            }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
