import ServiceLifecycle

/// Runs `tick` every `interval` until graceful shutdown or cancellation: the loop of every
/// background service (the edge sweeper, the usage flusher). A tick that is running when
/// shutdown starts finishes; no new one starts. Cost: one timer sleep per tick.
public func runPeriodically(every interval: Duration, _ tick: () async -> Void) async {
    while !Task.isShuttingDownGracefully && !Task.isCancelled {
        do {
            try await cancelWhenGracefulShutdown {
                try await Task.sleep(for: interval)
            }
        } catch {
            return
        }
        await tick()
    }
}
