import Synchronization

/// Running totals of the origin tier, read by `/metrics` on each scrape. One short lock per
/// event (origin fetches are milliseconds apart at the very least; contention is nil).
public final class OriginStatistics: Sendable {
    /// Origin fetches by outcome.
    public enum FetchResult: String, Sendable, CaseIterable {
        case ok, notFound = "not_found", passThrough = "pass_through", error
    }

    /// Origin errors by kind.
    public enum ErrorKind: String, Sendable, CaseIterable {
        case timeout, unavailable, refused, redirect
    }

    private struct Counts {
        var fetches: [FetchResult: UInt64] = [:]
        var errors: [ErrorKind: UInt64] = [:]
        var coalesced: UInt64 = 0
        var bytes: UInt64 = 0
        var stale: UInt64 = 0
    }

    private let counts = Mutex(Counts())

    /// Zeroed counters.
    public init() {}

    func record(_ result: FetchResult) { counts.withLock { $0.fetches[result, default: 0] += 1 } }
    func record(_ kind: ErrorKind) { counts.withLock { $0.errors[kind, default: 0] += 1 } }
    func recordCoalesced() { counts.withLock { $0.coalesced += 1 } }
    func recordBytes(_ count: Int) { counts.withLock { $0.bytes += UInt64(count) } }
    func recordStale() { counts.withLock { $0.stale += 1 } }

    /// Fetches that ended with `result`.
    public func fetches(_ result: FetchResult) -> UInt64 { counts.withLock { $0.fetches[result] ?? 0 } }
    /// Errors of `kind` (fetch failures and refused URLs).
    public func errors(_ kind: ErrorKind) -> UInt64 { counts.withLock { $0.errors[kind] ?? 0 } }
    /// Requests that waited for another request's fetch instead of fetching.
    public var coalesced: UInt64 { counts.withLock { $0.coalesced } }
    /// Body bytes read from origins.
    public var bytes: UInt64 { counts.withLock { $0.bytes } }
    /// Stale copies served because the origin failed.
    public var staleServed: UInt64 { counts.withLock { $0.stale } }
}
