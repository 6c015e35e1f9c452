/// How a `RedisClient` connects and when it gives up. Plain values; copying is free.
public struct RedisClientConfiguration: Sendable {
    /// The server and login.
    public var url: RedisURL
    /// Connections (and threads) in the pool; at most this many commands run at once.
    public var poolSize: Int
    /// Longest wait for a TCP connection.
    public var connectTimeout: Duration
    /// Longest wait for a command's reply (and for a blocked write). This is what protects
    /// requests from a hung (SIGSTOPped) Redis, which still accepts connections.
    public var commandTimeout: Duration
    /// Consecutive connection failures that open the circuit breaker.
    public var breakerFailureThreshold: Int
    /// How long an open breaker fails fast before probing Redis again.
    public var breakerCoolDown: Duration
    /// How often `run()` pings Redis so health recovers (or degrades) without traffic.
    public var healthCheckInterval: Duration
    /// Called on a pool thread after every round trip with its latency and whether it
    /// reached Redis successfully; feed a histogram from it. Must be cheap and non-blocking.
    public var latencyObserver: (@Sendable (_ latency: Duration, _ succeeded: Bool) -> Void)?

    /// Defaults: 4 connections, 250 ms connect and command timeouts, breaker opens after 3
    /// failures and probes after 1 s, health ping every second.
    public init(
        url: RedisURL,
        poolSize: Int = 4,
        connectTimeout: Duration = .milliseconds(250),
        commandTimeout: Duration = .milliseconds(250),
        breakerFailureThreshold: Int = 3,
        breakerCoolDown: Duration = .seconds(1),
        healthCheckInterval: Duration = .seconds(1),
        latencyObserver: (@Sendable (_ latency: Duration, _ succeeded: Bool) -> Void)? = nil
    ) {
        self.url = url
        self.poolSize = max(1, poolSize)
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.breakerFailureThreshold = breakerFailureThreshold
        self.breakerCoolDown = breakerCoolDown
        self.healthCheckInterval = healthCheckInterval
        self.latencyObserver = latencyObserver
    }
}
