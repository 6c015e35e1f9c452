import HummingbirdCore

/// `--max-connections`: Hummingbird stops accepting while this many connections are open
/// (new ones wait in the listen backlog) and resumes when one closes. Each time the limit is
/// reached is counted (`agentcache_connection_limit_reached_total`) and the open connections
/// are a gauge (`agentcache_connections_open`).
struct ConnectionLimit: AvailableConnectionsDelegate {
    let maximum: Int
    let metrics: ServerMetrics
    private var open = 0

    init(maximum: Int, metrics: ServerMetrics) {
        self.maximum = maximum
        self.metrics = metrics
    }

    mutating func connectionOpened() {
        open += 1
        metrics.recordConnections(open: open, limitReached: open == maximum)
    }

    mutating func connectionClosed() {
        open -= 1
        metrics.recordConnections(open: open, limitReached: false)
    }

    func isAcceptingNewConnections() -> Bool {
        open < maximum
    }
}
