import AgentCacheRedis
import Logging
import NIOConcurrencyHelpers

/// The shared half of every Redis-backed limit and counter: runs an operation through
/// Redis and says whether Redis answered, so the caller can decide in process meanwhile
/// (fail open to per-node figures, never to no limit). Logs once when Redis stops
/// answering and once when it is back, not once per request. Cost: the operation plus one
/// uncontended lock.
public final class RedisFallback: Sendable {
    /// The client every operation runs through.
    public let client: RedisClient
    private let subject: String
    private let meanwhile: String
    private let logger: Logger
    private let down = NIOLockedValueBox(false)

    /// `subject` names the user in logs ("redis rate limiter"); `meanwhile` says what happens
    /// while Redis is unreachable ("limiting per node until it is back").
    public init(client: RedisClient, subject: String, meanwhile: String, logger: Logger) {
        self.client = client
        self.subject = subject
        self.meanwhile = meanwhile
        self.logger = logger
    }

    /// Whether the last operation failed.
    public var isDown: Bool { down.withLockedValue { $0 } }

    /// The result of `operation`, or nil when it threw or returned nil (an unexpected reply
    /// counts as Redis failing: the caller must not trust it).
    public func attempt<Value>(_ operation: (RedisClient) async throws -> Value?) async -> Value? {
        let value = try? await operation(client)
        let failed = value == nil
        let changed = down.withLockedValue { down in
            defer { down = failed }
            return down != failed
        }
        if changed {
            if failed {
                logger.warning("\(subject) cannot reach redis; \(meanwhile)")
            } else {
                logger.notice("\(subject) reaches redis again")
            }
        }
        return value
    }
}
