/// Deadlines and limits of client connections (SPEC §6), after nginx's `keepalive_timeout`,
/// `client_header_timeout`, `client_body_timeout` and `lingering_timeout`, and Hummingbird's
/// `HTTP1Channel.Configuration` (decoder limits, idle timeout).
public struct ConnectionConfiguration: Sendable {
    /// A connection with no request in progress is closed after this long
    /// (`--idle-timeout`, default 60 s).
    public var idleTimeout: Duration = .seconds(60)
    /// A request head must arrive whole within this long of its first byte
    /// (`--header-timeout`, default 10 s); else 408 and close.
    public var headerTimeout: Duration = .seconds(10)
    /// A request body must make progress at least this often (`--body-timeout`, default 30 s);
    /// else 408 and close.
    public var bodyTimeout: Duration = .seconds(30)
    /// Connections open at once; at the limit the server stops accepting until one closes
    /// (`--max-connections`, default 10 000).
    public var maxConnections: Int = 10_000
    /// On shutdown, in-flight requests get this long to finish before their connections are
    /// cut (`--shutdown-grace`, default 10 s).
    public var shutdownGrace: Duration = .seconds(10)
    /// After an answer that ends a connection while the client may still be sending (an early
    /// 413 or 401, `Connection: close` mid-upload), the rest is read and dropped until the
    /// client stops for this long, so the client reads the answer instead of a reset.
    public var lingerTimeout: Duration = .seconds(5)
    /// The longest a lingering close reads, however the client trickles (nginx's
    /// `lingering_time`, shorter: a connection slot is held meanwhile).
    public var lingerTime: Duration = .seconds(10)
    /// Request head limits: Hummingbird's defaults (80 KiB per field, 80 KiB in all, 1 000 fields).
    public var maxHeaderFieldSize: Int = 80 * 1024
    public var maxHeaderListSize: Int = 80 * 1024
    public var maxHeaderFieldCount: Int = 1000

    /// The defaults above.
    public init() {}
}
