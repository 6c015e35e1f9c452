/// Why a Redis call failed. Every case has a one-line description fit for `/health`.
///
/// `connectFailed`, `timeout`, `io` and `protocolError` mean the connection is unusable and
/// count against the circuit breaker; `server` means Redis answered (it is healthy, the
/// command was wrong); `circuitOpen`, `poolClosed` and `cancelled` never reached Redis.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No connection could be made (refused, unreachable, DNS, connect timeout, AUTH/SELECT refused).
    case connectFailed(String)
    /// A command got no answer within the command timeout (a hung or overloaded Redis).
    case timeout
    /// The socket failed or the server closed it mid-command.
    case io(String)
    /// The bytes from the server were not RESP, or a reply had an unexpected shape.
    case protocolError(String)
    /// Redis answered with an error reply, e.g. `WRONGTYPE ...`.
    case server(String)
    /// The circuit breaker is open: Redis failed repeatedly and is not being called for now.
    case circuitOpen
    /// The client was shut down.
    case poolClosed
    /// The calling task was cancelled before the command was sent.
    case cancelled
    /// A write that must survive a failover ran on the primary, but no replica confirmed it in
    /// time (`WAIT`): not to be acknowledged.
    case replicationTimeout

    /// Whether this failure says Redis itself is unreachable or unhealthy (breaker-relevant).
    public var isConnectionFailure: Bool {
        switch self {
        case .connectFailed, .timeout, .io, .protocolError: true
        case .server, .circuitOpen, .poolClosed, .cancelled, .replicationTimeout: false
        }
    }

    /// One line, e.g. `redis command timed out`, used as the `/health` reason.
    public var description: String {
        switch self {
        case .connectFailed(let why): "redis connect failed: \(why)"
        case .timeout: "redis command timed out"
        case .io(let why): "redis connection error: \(why)"
        case .protocolError(let why): "redis protocol error: \(why)"
        case .server(let message): "redis error reply: \(message)"
        case .circuitOpen: "redis circuit breaker is open"
        case .poolClosed: "redis client is shut down"
        case .cancelled: "redis command cancelled"
        case .replicationTimeout: "no redis replica confirmed the write in time"
        }
    }
}
