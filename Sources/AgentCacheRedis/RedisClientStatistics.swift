/// Monotonic counters of a `RedisClient`, for metrics. A value copy taken under one lock.
public struct RedisClientStatistics: Sendable, Equatable {
    /// Commands sent to Redis (a pipeline of n commands counts n).
    public var commands: Int = 0
    /// Round trips made (one per `execute` or `pipeline` call that reached Redis).
    public var roundTrips: Int = 0
    /// Calls that failed because of Redis or the network (connect, I/O, protocol, timeout).
    public var errors: Int = 0
    /// Of `errors`, those that were command or connect timeouts.
    public var timeouts: Int = 0
    /// Error replies from the server (wrong type, bad arguments); Redis itself was fine.
    public var serverErrors: Int = 0
    /// Calls that waited longer than the command timeout for a free connection and were
    /// answered `timeout` without touching Redis (not counted in `errors` or `timeouts`).
    public var queueTimeouts: Int = 0
    /// Calls refused without touching Redis because the circuit breaker was open.
    public var rejected: Int = 0
    /// TCP connections opened (a reconnect after a failure counts again).
    public var connectionsOpened: Int = 0
    /// Sum of round-trip latencies in nanoseconds (divide by `roundTrips` for the mean).
    public var latencyNanosecondsTotal: Int64 = 0

    /// Makes zeroed counters.
    public init() {}
}
