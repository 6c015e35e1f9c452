import AgentCacheCore
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import ServiceLifecycle

/// An async Redis client over a small pool of blocking hiredis connections.
///
/// Every hiredis call runs on the client's own `NIOThreadPool` (one thread per pooled
/// connection), so neither a NIO event loop nor a Swift concurrency thread ever blocks on
/// Redis; a caller only suspends. A call costs one thread-pool hop plus one round trip, and
/// waits at most about `connectTimeout + commandTimeout` (plus queueing behind other calls).
///
/// Failures never linger: a connection that timed out or broke is closed, never reused, and
/// replaced lazily by the next call; a circuit breaker makes calls fail fast (`circuitOpen`)
/// while Redis keeps failing and lets one probe through after the cool-down. `health` and
/// `statistics` describe the state for `/health` and `/metrics`.
///
/// Lifecycle: the thread pool starts in `init`. As a swift-service-lifecycle `Service`,
/// `run()` pings Redis every `healthCheckInterval` (so health recovers without traffic) until
/// graceful shutdown, then shuts the client down. Without a service group, call `shutdown()`.
public final class RedisClient: Service, Sendable {
    /// How this client connects and when it gives up.
    public let configuration: RedisClientConfiguration
    /// The breaker guarding Redis; exposed for metrics (state, times opened).
    public let breaker: CircuitBreaker

    private struct Pool {
        var idle: [RedisConnection] = []
        var closed = false
    }

    private struct Counters {
        var statistics = RedisClientStatistics()
        var lastError: RedisError?
        var lastCallFailed = false
    }

    private let threadPool: NIOThreadPool
    private let pool = NIOLockedValueBox(Pool())
    private let counters = NIOLockedValueBox(Counters())
    private let shutdownStarted = NIOLockedValueBox(false)
    private let replicas = NIOLockedValueBox<(count: Int, at: ContinuousClock.Instant)?>(nil)
    private let logger: Logger

    /// Makes a client and starts its threads; connections open on first use. O(poolSize).
    public init(
        configuration: RedisClientConfiguration,
        logger: Logger = Logger(label: "agentcache.redis"),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.breaker = CircuitBreaker(
            failureThreshold: configuration.breakerFailureThreshold,
            coolDown: configuration.breakerCoolDown,
            now: now
        )
        self.threadPool = NIOThreadPool(numberOfThreads: configuration.poolSize)
        threadPool.start()
    }

    /// Makes a client for `url` with default timeouts and pool size.
    public convenience init(url: RedisURL, logger: Logger = Logger(label: "agentcache.redis")) {
        self.init(configuration: RedisClientConfiguration(url: url), logger: logger)
    }

    // MARK: - Commands

    /// Runs one command and returns its reply. One round trip on a pool thread.
    /// Throws `server` for an error reply, `circuitOpen` while the breaker is open, `timeout`
    /// / `connectFailed` / `io` / `protocolError` when Redis cannot be reached in time,
    /// `poolClosed` after shutdown.
    public func execute(_ command: [RedisArgument]) async throws(RedisError) -> RedisReply {
        try await perform(commandCount: 1) { connection throws(RedisError) in
            try connection.execute(command)
        }
    }

    /// Runs one command given as text arguments, e.g. `["GET", key]`. See `execute(_:)`.
    public func execute(_ command: [String]) async throws(RedisError) -> RedisReply {
        try await execute(command.map { RedisArgument($0) })
    }

    /// Runs one command given as raw byte arguments (binary keys or values). See `execute(_:)`.
    public func execute(_ command: [[UInt8]]) async throws(RedisError) -> RedisReply {
        try await execute(command.map { RedisArgument(bytes: $0) })
    }

    /// Runs several commands in one round trip and returns their replies in order. Error
    /// replies come back as `.error` elements (a transport failure throws for the whole batch).
    public func pipeline(_ commands: [[RedisArgument]]) async throws(RedisError) -> [RedisReply] {
        guard !commands.isEmpty else { return [] }
        return try await perform(commandCount: commands.count) { connection throws(RedisError) in
            try connection.pipeline(commands)
        }
    }

    /// Runs `commands` like `pipeline` and, when the server has replicas, makes sure at least
    /// one holds them before returning (`WAIT 1`, on the same connection), so a failover to
    /// that replica keeps them: for writes that must not be lost once acknowledged (an
    /// invalidation, a deletion; SPEC §4). Throws `replicationTimeout` when no replica
    /// confirms within half the command timeout (the commands did run on the primary). The
    /// replica count comes from `INFO replication`, read again every 5 s at most.
    /// Cost: one round trip, plus the replica's acknowledgement when there are replicas.
    public func replicated(_ commands: [[RedisArgument]]) async throws(RedisError) -> [RedisReply] {
        guard try await replicaCount() > 0 else { return try await pipeline(commands) }
        let half = (configuration.commandTimeout / 2).components
        let waitMillis = max(1, half.seconds * 1000 + half.attoseconds / 1_000_000_000_000_000)
        let replies = try await pipeline(commands + [["WAIT", 1, RedisArgument(waitMillis)]])
        guard let acknowledged = replies.last?.integer, acknowledged >= 1 else { throw .replicationTimeout }
        return Array(replies.dropLast())
    }

    /// How many replicas the server says are connected (`connected_slaves`), cached 5 s.
    private func replicaCount() async throws(RedisError) -> Int {
        let now = ContinuousClock.now
        if let known = replicas.withLockedValue({ $0 }), now - known.at < .seconds(5) { return known.count }
        let info = try await execute(["INFO", "replication"])
        let text = info.text ?? ""
        let count = text.split(whereSeparator: \.isNewline)
            .first { $0.hasPrefix("connected_slaves:") }
            .flatMap { Int($0.dropFirst("connected_slaves:".count)) } ?? 0
        replicas.withLockedValue { $0 = (count, now) }
        return count
    }

    /// Sends `PING` through the breaker and reports whether Redis answered. One round trip,
    /// or nothing while the breaker is open and cooling down.
    @discardableResult
    public func ping() async -> Bool {
        do {
            _ = try await execute(["PING"])
            return true
        } catch {
            return false
        }
    }

    // MARK: - State

    /// ok when the breaker is closed and the last call reached Redis; otherwise degraded
    /// with the last failure as the reason. O(1).
    public var health: RedisHealth {
        let circuit = breaker.state
        let (lastError, lastCallFailed) = counters.withLockedValue { ($0.lastError, $0.lastCallFailed) }
        if circuit == .closed && !lastCallFailed {
            return RedisHealth(status: .ok, reason: nil, circuit: circuit)
        }
        return RedisHealth(status: .degraded, reason: lastError?.description ?? RedisError.circuitOpen.description, circuit: circuit)
    }

    /// Whether `shutdown()` has been called; every call then fails with `poolClosed`.
    public var isShutDown: Bool {
        pool.withLockedValue { $0.closed }
    }

    /// A copy of the counters. O(1).
    public var statistics: RedisClientStatistics {
        counters.withLockedValue { $0.statistics }
    }

    // MARK: - Lifecycle

    /// Pings Redis every `healthCheckInterval` until graceful shutdown or cancellation, then
    /// shuts the client down (in-flight commands finish first).
    public func run() async throws {
        let interval = configuration.healthCheckInterval
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.ping()
                try await Task.sleep(for: interval)
            }
        }
        await shutdown()
    }

    /// Refuses new calls, waits for queued ones to finish, stops the threads and closes
    /// every connection. Idempotent.
    public func shutdown() async {
        let first = shutdownStarted.withLockedValue { started in
            defer { started = true }
            return !started
        }
        guard first else { return }
        pool.withLockedValue { $0.closed = true }
        try? await threadPool.shutdownGracefully()
        let idle = pool.withLockedValue { pool in
            defer { pool.idle = [] }
            return pool.idle
        }
        for connection in idle { connection.close() }
    }

    // MARK: - Internals

    private func perform<Value: Sendable>(
        commandCount: Int,
        _ body: @escaping @Sendable (RedisConnection) throws(RedisError) -> Value
    ) async throws(RedisError) -> Value {
        if pool.withLockedValue({ $0.closed }) { throw .poolClosed }
        // Checked here as well as on the pool thread, so an open breaker costs no thread hop.
        if breaker.wouldReject() {
            counters.withLockedValue { $0.statistics.rejected += 1 }
            throw .circuitOpen
        }
        let enqueued = ContinuousClock.now
        let result: Result<Value, RedisError>
        do {
            result = try await threadPool.runIfActive {
                self.performBlocking(commandCount: commandCount, enqueued: enqueued, body)
            }
        } catch {
            // runIfActive throws only CancellationError: the pool stopped, or our task was
            // cancelled before the work started. Either way nothing reached Redis.
            throw pool.withLockedValue({ $0.closed }) ? .poolClosed : .cancelled
        }
        return try result.get()
    }

    /// Runs on a pool thread: takes the breaker's permission, a connection, and the command.
    private func performBlocking<Value>(
        commandCount: Int,
        enqueued: ContinuousClock.Instant,
        _ body: (RedisConnection) throws(RedisError) -> Value
    ) -> Result<Value, RedisError> {
        // A call that already waited a whole command timeout for a thread (Redis slow, or far
        // more callers than connections) gives up: its caller is better served by a miss now
        // than by a late answer. Our own backlog says nothing about Redis: breaker untouched.
        if ContinuousClock.now - enqueued > configuration.commandTimeout {
            counters.withLockedValue { $0.statistics.queueTimeouts += 1 }
            return .failure(.timeout)
        }
        // Taken here, not before queueing, so a half-open probe is really one call.
        guard breaker.tryAcquire() else {
            counters.withLockedValue { $0.statistics.rejected += 1 }
            return .failure(.circuitOpen)
        }
        let start = ContinuousClock.now
        var attempt = 0
        while true {
            attempt += 1
            let connection: RedisConnection
            let reused: Bool
            do {
                (connection, reused) = try checkOut()
            } catch {
                recordFailure(error, latency: ContinuousClock.now - start)
                return .failure(error)
            }
            do {
                let value = try body(connection)
                checkIn(connection)
                recordSuccess(commandCount: commandCount, latency: ContinuousClock.now - start, serverError: false)
                return .success(value)
            } catch {
                guard error.isConnectionFailure else {
                    checkIn(connection)
                    recordSuccess(commandCount: commandCount, latency: ContinuousClock.now - start, serverError: true)
                    return .failure(error)
                }
                // Never reuse it: a late reply would answer the next caller. Idle siblings
                // most likely point at the same dead or restarted server, so drop them too.
                connection.close()
                dropIdleConnections()
                // An idle connection the server closed meanwhile (restart, idle timeout) fails
                // at once with an I/O error, and the command never reached a live server:
                // retry once on a fresh connection so a Redis restart costs no request.
                // Timeouts are never retried (the command may be running, and it would
                // double the wait).
                if case .io = error, reused, attempt == 1 { continue }
                recordFailure(error, latency: ContinuousClock.now - start)
                return .failure(error)
            }
        }
    }

    /// An idle connection (reused: true) or a new one.
    private func checkOut() throws(RedisError) -> (RedisConnection, reused: Bool) {
        if let idle = pool.withLockedValue({ $0.idle.popLast() }) { return (idle, true) }
        let connection = try RedisConnection(
            url: configuration.url,
            connectTimeout: configuration.connectTimeout,
            commandTimeout: configuration.commandTimeout
        )
        counters.withLockedValue { $0.statistics.connectionsOpened += 1 }
        return (connection, false)
    }

    private func checkIn(_ connection: RedisConnection) {
        guard !connection.isBroken else {
            connection.close()
            return
        }
        let keep = pool.withLockedValue { pool in
            guard !pool.closed, pool.idle.count < configuration.poolSize else { return false }
            pool.idle.append(connection)
            return true
        }
        if !keep { connection.close() }
    }

    private func dropIdleConnections() {
        let idle = pool.withLockedValue { pool in
            defer { pool.idle = [] }
            return pool.idle
        }
        for connection in idle { connection.close() }
    }

    private func recordSuccess(commandCount: Int, latency: Duration, serverError: Bool) {
        let wasClosed = breaker.state == .closed
        breaker.recordSuccess()
        counters.withLockedValue { counters in
            counters.statistics.commands += commandCount
            counters.statistics.roundTrips += 1
            counters.statistics.latencyNanosecondsTotal += latency.nanoseconds
            if serverError { counters.statistics.serverErrors += 1 }
            counters.lastCallFailed = false
        }
        configuration.latencyObserver?(latency, true)
        if !wasClosed {
            logger.info("redis is reachable again; circuit closed", metadata: ["redis": "\(configuration.url)"])
        }
    }

    private func recordFailure(_ error: RedisError, latency: Duration) {
        let wasOpen = breaker.state == .open
        breaker.recordFailure()
        counters.withLockedValue { counters in
            counters.statistics.errors += 1
            if error == .timeout { counters.statistics.timeouts += 1 }
            counters.lastError = error
            counters.lastCallFailed = true
        }
        configuration.latencyObserver?(latency, false)
        if !wasOpen && breaker.state == .open {
            logger.warning(
                "redis circuit opened; failing fast",
                metadata: ["redis": "\(configuration.url)", "reason": "\(error)"]
            )
        }
    }
}
