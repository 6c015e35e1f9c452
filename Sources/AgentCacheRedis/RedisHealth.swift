/// What `/health` reports for the Redis tier: a snapshot, O(1) to take.
public struct RedisHealth: Sendable, Equatable, CustomStringConvertible {
    /// Whether the tier is working.
    public enum Status: String, Sendable {
        /// The last command succeeded and the breaker is closed.
        case ok
        /// Redis is down, hung or refusing; requests fall back to the edge tier and origin.
        case degraded
    }

    /// ok or degraded.
    public var status: Status
    /// Why it is degraded, e.g. `redis command timed out`; nil when ok.
    public var reason: String?
    /// The circuit breaker's position.
    public var circuit: CircuitBreaker.State

    /// Makes a snapshot.
    public init(status: Status, reason: String?, circuit: CircuitBreaker.State) {
        self.status = status
        self.reason = reason
        self.circuit = circuit
    }

    /// Whether the status is ok.
    public var isOK: Bool { status == .ok }

    /// `degraded (redis command timed out), circuit open`, for logs.
    public var description: String {
        var text = status.rawValue
        if let reason { text += " (\(reason))" }
        return text + ", circuit \(circuit.rawValue)"
    }
}
