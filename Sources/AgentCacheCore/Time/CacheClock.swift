#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers

/// Wall-clock milliseconds since the Unix epoch. Entries carry absolute times so that their
/// creation and expiry mean the same on every node and in Redis.
public protocol CacheClock: Sendable {
    /// Now, in milliseconds since 1970-01-01T00:00:00Z.
    func nowMillis() -> Int64
}

/// The system's real-time clock: one `clock_gettime` call, no allocation.
public struct SystemClock: CacheClock {
    /// The real-time clock.
    public init() {}

    /// `clock_gettime(CLOCK_REALTIME)` in milliseconds.
    public func nowMillis() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

/// A clock that moves only when told to; for tests of TTL and sweeping.
public final class ManualClock: CacheClock {
    private let now: NIOLockedValueBox<Int64>

    /// Starts at `millis`.
    public init(millis: Int64 = 1_700_000_000_000) {
        now = NIOLockedValueBox(millis)
    }

    /// Where the clock was last set.
    public func nowMillis() -> Int64 { now.withLockedValue { $0 } }

    /// Moves the clock forward by `millis`.
    public func advance(by millis: Int64) {
        now.withLockedValue { $0 += millis }
    }
}
