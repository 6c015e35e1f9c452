import AgentCacheTestSupport
import AgentCacheRedis
import Synchronization
import Testing

/// A monotonic clock that moves only when the test says so.
final class ManualInstantClock: Sendable {
    private let base = ContinuousClock.now
    private let offset = Mutex<Duration>(.zero)

    func now() -> ContinuousClock.Instant { base + offset.withLock { $0 } }

    func advance(by duration: Duration) { offset.withLock { $0 += duration } }
}

@Suite("Circuit breaker (pure logic, manual clock)")
struct CircuitBreakerTests {
    let clock = ManualInstantClock()

    func makeBreaker(threshold: Int = 3, coolDown: Duration = .seconds(1)) -> CircuitBreaker {
        let clock = self.clock
        return CircuitBreaker(failureThreshold: threshold, coolDown: coolDown, now: { clock.now() })
    }

    @Test("stays closed below the failure threshold")
    func staysClosedBelowThreshold() {
        let breaker = makeBreaker()
        breaker.recordFailure()
        breaker.recordFailure()
        #expect(breaker.state == .closed)
        #expect(breaker.tryAcquire())
    }

    @Test("opens after N consecutive failures and refuses calls")
    func opensAtThreshold() {
        let breaker = makeBreaker()
        for _ in 0..<3 { breaker.recordFailure() }
        #expect(breaker.state == .open)
        #expect(!breaker.tryAcquire())
        #expect(breaker.wouldReject())
        #expect(breaker.timesOpened == 1)
    }

    @Test("a success in between resets the consecutive count")
    func successResetsCount() {
        let breaker = makeBreaker()
        breaker.recordFailure()
        breaker.recordFailure()
        breaker.recordSuccess()
        breaker.recordFailure()
        breaker.recordFailure()
        #expect(breaker.state == .closed)
    }

    @Test("after the cool-down exactly one probe goes through (half-open)")
    func halfOpenAllowsOneProbe() {
        let breaker = makeBreaker()
        for _ in 0..<3 { breaker.recordFailure() }
        clock.advance(by: .milliseconds(999))
        #expect(!breaker.tryAcquire())
        clock.advance(by: .milliseconds(1))
        #expect(!breaker.wouldReject())
        #expect(breaker.state == .open, "peeking must not take the probe")
        #expect(breaker.tryAcquire())
        #expect(breaker.state == .halfOpen)
        #expect(!breaker.tryAcquire(), "a second caller must wait for the probe")
        #expect(breaker.wouldReject())
    }

    @Test("a successful probe closes the breaker")
    func probeSuccessCloses() {
        let breaker = makeBreaker()
        for _ in 0..<3 { breaker.recordFailure() }
        clock.advance(by: .seconds(1))
        #expect(breaker.tryAcquire())
        breaker.recordSuccess()
        #expect(breaker.state == .closed)
        #expect(breaker.tryAcquire() && breaker.tryAcquire())
    }

    @Test("a failed probe re-opens the breaker for another cool-down")
    func probeFailureReopens() {
        let breaker = makeBreaker()
        for _ in 0..<3 { breaker.recordFailure() }
        clock.advance(by: .seconds(1))
        #expect(breaker.tryAcquire())
        breaker.recordFailure()
        #expect(breaker.state == .open)
        #expect(breaker.timesOpened == 2)
        clock.advance(by: .milliseconds(500))
        #expect(!breaker.tryAcquire())
        clock.advance(by: .milliseconds(500))
        #expect(breaker.tryAcquire())
    }

    @Test("a probe that never reports does not wedge the breaker")
    func lostProbeIsReplaced() {
        let breaker = makeBreaker()
        for _ in 0..<3 { breaker.recordFailure() }
        clock.advance(by: .seconds(1))
        #expect(breaker.tryAcquire())
        clock.advance(by: .seconds(1))
        #expect(breaker.tryAcquire())
    }

    @Test("late failures while open do not extend the cool-down")
    func lateFailuresWhileOpen() {
        let breaker = makeBreaker()
        for _ in 0..<3 { breaker.recordFailure() }
        clock.advance(by: .milliseconds(900))
        breaker.recordFailure()
        clock.advance(by: .milliseconds(100))
        #expect(breaker.tryAcquire())
        #expect(breaker.timesOpened == 1)
    }

    @Test("threshold 1 opens on the first failure; gauge values are ordered")
    func thresholdOne() {
        let breaker = makeBreaker(threshold: 1)
        breaker.recordFailure()
        #expect(breaker.state == .open)
        #expect(CircuitBreaker.State.closed.gaugeValue < CircuitBreaker.State.halfOpen.gaugeValue)
        #expect(CircuitBreaker.State.halfOpen.gaugeValue < CircuitBreaker.State.open.gaugeValue)
    }
}
