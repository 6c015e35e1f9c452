import AgentCacheCore
import Logging
import ServiceLifecycle

/// Flushes the `UsageLedger` every `interval` and once more at graceful shutdown (after
/// the HTTP server has drained, as services stop in reverse order). A crash loses at most
/// one interval of counts.
public struct UsageFlusher: Service {
    private let ledger: UsageLedger
    private let interval: Duration

    /// Flushes `ledger` every `interval` (default 1 s).
    public init(ledger: UsageLedger, interval: Duration = .seconds(1)) {
        self.ledger = ledger
        self.interval = interval
    }

    public func run() async throws {
        await runPeriodically(every: interval) { await ledger.flush() }
        await ledger.flush()
    }
}
