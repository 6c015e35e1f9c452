/// A result that is either at hand now or comes after a suspension: the one way every step of
/// the request path (credential, admission, generation, lookup) answers, so one decision runs
/// to completion on the event loop when everything it needs is in memory, and continues as an
/// async task otherwise. Errors are `CacheError` values (SPEC §5).
///
/// Chaining a `.now` value calls the next step at once, in the caller's thread; chaining a
/// `.later` one builds a closure that awaits and then runs the next step. Cost on the hit path:
/// one closure call per step, no task; no allocation when the step captures nothing and takes
/// what it needs as `with:` (`flatMapResult(with:_:)`).
///
/// Hand-written rather than `EventLoopFuture` because the core knows no event loops, and
/// rather than `async` alone because an `async` call cannot tell its caller it finished
/// without suspending.
public enum Eventual<Value: Sendable>: Sendable {
    /// Decided already.
    case now(Result<Value, CacheError>)
    /// Decided by running this operation (once).
    case later(@Sendable () async -> Result<Value, CacheError>)

    /// A value at hand.
    @inlinable
    public static func value(_ value: Value) -> Eventual<Value> { .now(.success(value)) }

    /// A failure at hand.
    @inlinable
    public static func failure(_ error: CacheError) -> Eventual<Value> { .now(.failure(error)) }

    /// The result of `operation`, which may suspend.
    @inlinable
    public static func async(_ operation: @escaping @Sendable () async throws(CacheError) -> Value) -> Eventual<Value> {
        .later {
            do throws(CacheError) {
                return .success(try await operation())
            } catch {
                return .failure(error)
            }
        }
    }

    /// Whether the result is at hand (no suspension needed).
    @inlinable
    public var isNow: Bool {
        if case .now = self { return true }
        return false
    }

    /// The result, suspending when it is not at hand.
    @inlinable
    public var result: Result<Value, CacheError> {
        get async {
            switch self {
            case .now(let result): result
            case .later(let operation): await operation()
            }
        }
    }

    /// The value, suspending when it is not at hand; throws the failure.
    @inlinable
    public func get() async throws(CacheError) -> Value {
        try await result.get()
    }

    /// Runs `next` on the result, success or failure, passing it `context`: at once when the
    /// result is at hand, after it otherwise.
    ///
    /// Hit path: hand what `next` needs to it as `context` and let `next` capture nothing; a
    /// closure that captures nothing has no context to allocate, so chaining a `.now` result
    /// costs a call. (A capturing `next` costs one heap allocation per call, `.now` or not,
    /// because it may escape into `.later`.)
    @inlinable
    public func flatMapResult<Context: Sendable, Next: Sendable>(
        with context: Context,
        _ next: @escaping @Sendable (Context, Result<Value, CacheError>) -> Eventual<Next>
    ) -> Eventual<Next> {
        switch self {
        case .now(let result):
            return next(context, result)
        case .later(let operation):
            return .later { await next(context, await operation()).result }
        }
    }

    /// Runs `next` on the value with `context` (see `flatMapResult(with:_:)`); a failure skips it.
    @inlinable
    public func flatMap<Context: Sendable, Next: Sendable>(
        with context: Context,
        _ next: @escaping @Sendable (Context, Value) -> Eventual<Next>
    ) -> Eventual<Next> {
        // Written out rather than through `flatMapResult(with:)`: a `.now` value then costs one
        // call, with no context pair built around `next`.
        switch self {
        case .now(.success(let value)):
            return next(context, value)
        case .now(.failure(let error)):
            return .now(.failure(error))
        case .later(let operation):
            return .later {
                switch await operation() {
                case .success(let value): await next(context, value).result
                case .failure(let error): .failure(error)
                }
            }
        }
    }

    /// `flatMap(with:_:)` for a step that cannot suspend.
    @inlinable
    public func map<Context: Sendable, Next: Sendable>(
        with context: Context,
        _ transform: @escaping @Sendable (Context, Value) throws(CacheError) -> Next
    ) -> Eventual<Next> {
        switch self {
        case .now(.success(let value)):
            do throws(CacheError) {
                return .value(try transform(context, value))
            } catch {
                return .failure(error)
            }
        case .now(.failure(let error)):
            return .now(.failure(error))
        case .later(let operation):
            return .later {
                switch await operation() {
                case .success(let value):
                    do throws(CacheError) {
                        return .success(try transform(context, value))
                    } catch {
                        return .failure(error)
                    }
                case .failure(let error):
                    return .failure(error)
                }
            }
        }
    }

    /// Runs `next` on the value: at once when it is at hand, after it otherwise. A failure
    /// skips `next`. Off the hit path; there, `flatMap(with:_:)`.
    @inlinable
    public func flatMap<Next: Sendable>(_ next: @escaping @Sendable (Value) -> Eventual<Next>) -> Eventual<Next> {
        flatMap(with: next) { next, value in next(value) }
    }

    /// `flatMap` for a step that cannot suspend.
    @inlinable
    public func map<Next: Sendable>(_ transform: @escaping @Sendable (Value) throws(CacheError) -> Next) -> Eventual<Next> {
        map(with: transform) { transform, value throws(CacheError) in try transform(value) }
    }

    /// The same result with a failure replaced by `transform(failure)`.
    @inlinable
    public func mapError(_ transform: @escaping @Sendable (CacheError) -> CacheError) -> Eventual<Value> {
        flatMapResult(with: transform) { transform, result in .now(result.mapError(transform)) }
    }

    /// Runs `next` on the result, success or failure: for steps that must run either way
    /// (releasing what an earlier step took, rendering an error).
    @inlinable
    public func flatMapResult<Next: Sendable>(_ next: @escaping @Sendable (Result<Value, CacheError>) -> Eventual<Next>) -> Eventual<Next> {
        flatMapResult(with: next) { next, result in next(result) }
    }
}

extension Eventual where Value == Void {
    /// Nothing to wait for.
    @inlinable
    public static var done: Eventual<Void> { .now(.success(())) }
}
