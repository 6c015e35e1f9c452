import NIOConcurrencyHelpers

/// Stops calling a failing dependency, then probes it again: pure logic, no I/O.
///
/// - **closed**: calls go through; `failureThreshold` consecutive failures open it.
/// - **open**: calls are refused at once (no timeout paid) for `coolDown`.
/// - **half-open**: after the cool-down one call (the probe) goes through; its success closes
///   the breaker, its failure opens it for another cool-down. Others are refused meanwhile.
///
/// Every method is one uncontended lock acquisition and a few comparisons. The clock is
/// injectable so tests can drive the cool-down without sleeping.
public final class CircuitBreaker: Sendable {
    /// The breaker's position.
    public enum State: String, Sendable, CaseIterable {
        /// Healthy: every call goes through.
        case closed
        /// Failing: calls are refused until the cool-down ends.
        case open
        /// Probing: one call is testing whether the dependency is back.
        case halfOpen = "half_open"

        /// 0 closed, 1 half-open, 2 open: a gauge value for metrics.
        public var gaugeValue: Int {
            switch self {
            case .closed: 0
            case .halfOpen: 1
            case .open: 2
            }
        }
    }

    private struct Storage {
        var state: State = .closed
        var consecutiveFailures = 0
        var openedAt: ContinuousClock.Instant?
        var probeStartedAt: ContinuousClock.Instant?
        var timesOpened = 0
    }

    /// Consecutive failures that open a closed breaker (at least 1).
    public let failureThreshold: Int
    /// How long an open breaker refuses calls before letting a probe through.
    public let coolDown: Duration

    private let storage = NIOLockedValueBox(Storage())
    private let now: @Sendable () -> ContinuousClock.Instant

    /// Makes a closed breaker. `now` is the monotonic clock (tests pass a manual one).
    public init(
        failureThreshold: Int = 3,
        coolDown: Duration = .seconds(1),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.failureThreshold = max(1, failureThreshold)
        self.coolDown = coolDown
        self.now = now
    }

    /// The current state. An open breaker whose cool-down has ended still reads `open` until
    /// a call takes the probe.
    public var state: State {
        storage.withLockedValue { $0.state }
    }

    /// How many times the breaker has opened since it was made (a counter for metrics).
    public var timesOpened: Int {
        storage.withLockedValue { $0.timesOpened }
    }

    /// Asks to make a call. True means go ahead and report the outcome with `recordSuccess`
    /// or `recordFailure`; false means fail fast without calling.
    public func tryAcquire() -> Bool {
        let now = self.now()
        return storage.withLockedValue { storage in
            switch storage.state {
            case .closed:
                return true
            case .open:
                guard let openedAt = storage.openedAt, openedAt.advanced(by: coolDown) <= now else { return false }
                storage.state = .halfOpen
                storage.probeStartedAt = now
                return true
            case .halfOpen:
                // A probe that never reported (its caller vanished) must not wedge the breaker.
                if let started = storage.probeStartedAt, started.advanced(by: coolDown) <= now {
                    storage.probeStartedAt = now
                    return true
                }
                return false
            }
        }
    }

    /// Whether `tryAcquire` would refuse right now, without taking the probe. Lets a caller
    /// fail fast before queueing work that would be refused anyway.
    public func wouldReject() -> Bool {
        let now = self.now()
        return storage.withLockedValue { storage in
            switch storage.state {
            case .closed:
                return false
            case .open:
                guard let openedAt = storage.openedAt else { return false }
                return openedAt.advanced(by: coolDown) > now
            case .halfOpen:
                guard let started = storage.probeStartedAt else { return false }
                return started.advanced(by: coolDown) > now
            }
        }
    }

    /// Reports a call that reached the dependency and got an answer: closes the breaker.
    public func recordSuccess() {
        storage.withLockedValue { storage in
            storage.state = .closed
            storage.consecutiveFailures = 0
            storage.openedAt = nil
            storage.probeStartedAt = nil
        }
    }

    /// Reports a call that failed because of the dependency (timeout, refused, broken socket).
    /// Opens a closed breaker at the threshold and re-opens a half-open one at once.
    public func recordFailure() {
        let now = self.now()
        storage.withLockedValue { storage in
            switch storage.state {
            case .closed:
                storage.consecutiveFailures += 1
                if storage.consecutiveFailures >= failureThreshold {
                    storage.state = .open
                    storage.openedAt = now
                    storage.timesOpened += 1
                }
            case .halfOpen:
                storage.state = .open
                storage.openedAt = now
                storage.probeStartedAt = nil
                storage.timesOpened += 1
            case .open:
                // A call admitted before the breaker opened failed late; the cool-down stands.
                break
            }
        }
    }
}
