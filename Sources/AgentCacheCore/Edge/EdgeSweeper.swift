import Logging
import ServiceLifecycle

/// Reclaims expired edge entries in the background, a bounded slice of every stripe per
/// tick, so memory held by dead entries returns without any request paying for it.
public struct EdgeSweeper: Service {
    private let edge: EdgeCache
    private let clock: any CacheClock
    private let interval: Duration
    private let slotsPerTick: Int
    private let logger: Logger

    /// Sweeps `edge` every `interval`, examining up to `slotsPerTick` slots per stripe.
    public init(
        edge: EdgeCache,
        clock: any CacheClock = SystemClock(),
        interval: Duration = .milliseconds(250),
        slotsPerTick: Int = 1024,
        logger: Logger = Logger(label: "agentcache.sweeper")
    ) {
        self.edge = edge
        self.clock = clock
        self.interval = interval
        self.slotsPerTick = slotsPerTick
        self.logger = logger
    }

    /// Runs until graceful shutdown or cancellation.
    public func run() async throws {
        await runPeriodically(every: interval) {
            let reclaimed = edge.sweep(maxSlotsPerShard: slotsPerTick, now: clock.nowMillis())
            if reclaimed > 0 {
                logger.trace("swept expired entries", metadata: ["reclaimed": "\(reclaimed)"])
            }
        }
    }
}
