import AgentCacheCore
import Logging
import ServiceLifecycle

/// Flushes the `UsageLedger` (monthly usage) and the `TenantStats` batch (shared `/api/stats`
/// figures) every `interval` and once more at graceful shutdown (after the HTTP server has
/// drained, as services stop in reverse order). A crash loses at most one interval of counts.
public struct UsageFlusher: Service {
    private let ledger: UsageLedger?
    private let stats: TenantStats?
    private let interval: Duration

    /// Flushes `ledger` and `stats` (either may be nil) every `interval` (default 1 s).
    public init(ledger: UsageLedger?, stats: TenantStats? = nil, interval: Duration = .seconds(1)) {
        self.ledger = ledger
        self.stats = stats
        self.interval = interval
    }

    public func run() async throws {
        await runPeriodically(every: interval) { await flush() }
        await flush()
    }

    private func flush() async {
        await ledger?.flush()
        await stats?.flush()
    }
}
