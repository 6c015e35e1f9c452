import AgentCacheCore
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Listens on `ac:invalidate` so this node learns at once when another node invalidates a
/// namespace (SPEC §4). A swift-service-lifecycle `Service`: `run()` subscribes and keeps
/// the subscription alive until graceful shutdown, cancellation or `stop()`.
///
/// The blocking hiredis loop runs on one dedicated thread (a one-thread `NIOThreadPool`) with
/// its own connection, never on an event loop or a concurrency thread. It waits for pushed
/// messages with `poll(2)` in slices of `pollInterval` (hiredis would treat a socket read
/// timeout as a fatal error), which lets it notice `stop()` within one slice and send a
/// keep-alive `PING` when the channel has been quiet for `pingInterval`. No answer within
/// `pingTimeout`, a closed socket, or any error: the connection is dropped and re-opened with
/// exponential backoff, and after every successful (re)subscription `onResubscribed` runs so
/// the node can re-read whatever it missed while disconnected.
///
/// Handlers run on the subscriber thread and must be quick and non-blocking. An instance runs
/// once: after it stops it stays stopped.
public final class RedisSubscriber: Service, Sendable {
    /// How the subscriber connects and how watchful it is.
    public struct Configuration: Sendable {
        /// The server and login.
        public var url: RedisURL
        /// The channel to listen on.
        public var channel: String
        /// Longest wait for a TCP connection.
        public var connectTimeout: Duration
        /// Longest wait for a write, and for the reply to `SUBSCRIBE`.
        public var commandTimeout: Duration
        /// How often the loop wakes to check for `stop()`; the bound on stop latency.
        public var pollInterval: Duration
        /// Quiet time after which a keep-alive `PING` is sent.
        public var pingInterval: Duration
        /// How long a `PING` may go unanswered before the connection is presumed dead.
        public var pingTimeout: Duration
        /// First and longest wait between reconnection attempts (doubling in between).
        public var minimumBackoff: Duration
        /// See `minimumBackoff`.
        public var maximumBackoff: Duration

        /// Defaults: 250 ms connect, 1 s subscribe reply, 100 ms poll, PING after 1 s of quiet,
        /// 2 s to answer it, reconnect backoff 50 ms doubling up to 1 s.
        public init(
            url: RedisURL,
            channel: String = RedisKeys.invalidationChannel,
            connectTimeout: Duration = .milliseconds(250),
            commandTimeout: Duration = .seconds(1),
            pollInterval: Duration = .milliseconds(100),
            pingInterval: Duration = .seconds(1),
            pingTimeout: Duration = .seconds(2),
            minimumBackoff: Duration = .milliseconds(50),
            maximumBackoff: Duration = .seconds(1)
        ) {
            self.url = url
            self.channel = channel
            self.connectTimeout = connectTimeout
            self.commandTimeout = commandTimeout
            self.pollInterval = pollInterval
            self.pingInterval = pingInterval
            self.pingTimeout = pingTimeout
            self.minimumBackoff = minimumBackoff
            self.maximumBackoff = maximumBackoff
        }
    }

    /// Called with `<tenant>/<ns>` and its new generation for every well-formed message.
    public typealias MessageHandler = @Sendable (_ qualifiedNamespace: String, _ generation: UInt64) -> Void
    /// Called with each entry deletion another node published (`RedisKeys.deletionMessage`).
    public typealias DeletionHandler = @Sendable (_ qualifiedNamespace: String, _ generation: UInt64, _ key: CacheKey) -> Void

    private struct State {
        var stopped = false
        var subscribed = false
        var subscriptions = 0
        var messages = 0
        var lastError: RedisError?
    }

    /// The settings in use.
    public let configuration: Configuration
    private let onMessage: MessageHandler
    private let onDeletion: DeletionHandler
    private let onResubscribed: @Sendable () -> Void
    private let state = NIOLockedValueBox(State())
    private let logger: Logger

    /// Makes a stopped-until-run subscriber. `onResubscribed` runs after every successful
    /// `SUBSCRIBE`, the first included.
    public init(
        configuration: Configuration,
        logger: Logger = Logger(label: "agentcache.redis.subscriber"),
        onMessage: @escaping MessageHandler,
        onDeletion: @escaping DeletionHandler = { _, _, _ in },
        onResubscribed: @escaping @Sendable () -> Void = {}
    ) {
        self.configuration = configuration
        self.logger = logger
        self.onMessage = onMessage
        self.onDeletion = onDeletion
        self.onResubscribed = onResubscribed
    }

    /// Whether the subscription is live right now.
    public var isSubscribed: Bool { state.withLockedValue { $0.subscribed } }

    /// How many times `SUBSCRIBE` has succeeded (1 + reconnections).
    public var subscriptionCount: Int { state.withLockedValue { $0.subscriptions } }

    /// Invalidation messages received and handed to the handler.
    public var messagesReceived: Int { state.withLockedValue { $0.messages } }

    /// The last connection failure, if any (for logs and health).
    public var lastError: RedisError? { state.withLockedValue { $0.lastError } }

    /// Asks the loop to end; `run()` returns within about one `pollInterval` (or one
    /// connect/subscribe timeout if it is connecting). Idempotent, O(1).
    public func stop() {
        state.withLockedValue { $0.stopped = true }
    }

    /// Subscribes and dispatches messages until graceful shutdown, task cancellation or
    /// `stop()`. Occupies one dedicated thread for its whole duration.
    public func run() async throws {
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                _ = try? await thread.runIfActive { self.loop() }
            } onGracefulShutdown: {
                self.stop()
            }
        } onCancel: {
            self.stop()
        }
        try? await thread.shutdownGracefully()
    }

    // MARK: - The blocking loop (subscriber thread only)

    private var isStopped: Bool { state.withLockedValue { $0.stopped } }

    private func loop() {
        var backoff = configuration.minimumBackoff
        while !isStopped {
            do {
                try session()
            } catch {
                let wasSubscribed = state.withLockedValue { state in
                    defer {
                        state.subscribed = false
                        state.lastError = error
                    }
                    return state.subscribed
                }
                if wasSubscribed {
                    logger.warning("redis subscription lost; reconnecting", metadata: ["error": "\(error)"])
                    backoff = configuration.minimumBackoff
                } else {
                    logger.debug("redis subscribe failed; retrying", metadata: ["error": "\(error)", "backoff": "\(backoff)"])
                }
                sleep(for: backoff)
                backoff = min(backoff * 2, configuration.maximumBackoff)
            }
        }
        state.withLockedValue { $0.subscribed = false }
    }

    /// One connection's life: connect, subscribe, dispatch until it fails or we stop.
    private func session() throws(RedisError) {
        let connection = try RedisConnection(
            url: configuration.url,
            connectTimeout: configuration.connectTimeout,
            commandTimeout: configuration.commandTimeout
        )
        defer { connection.close() }
        try connection.send(["SUBSCRIBE", .string(configuration.channel)])
        try awaitSubscribeConfirmation(connection)

        let count = state.withLockedValue { state in
            state.subscribed = true
            state.subscriptions += 1
            state.lastError = nil
            return state.subscriptions
        }
        if count > 1 {
            logger.info("redis subscription restored", metadata: ["channel": "\(configuration.channel)"])
        }
        onResubscribed()

        let pollMilliseconds = Self.milliseconds(configuration.pollInterval)
        var lastHeard = ContinuousClock.now
        var pingSentAt: ContinuousClock.Instant?
        while !isStopped {
            if let reply = try connection.pollReply(timeoutMilliseconds: pollMilliseconds) {
                lastHeard = .now
                pingSentAt = nil
                dispatch(reply)
                continue
            }
            let now = ContinuousClock.now
            if let sent = pingSentAt {
                if now - sent > configuration.pingTimeout { throw .timeout }
            } else if now - lastHeard >= configuration.pingInterval {
                try connection.send(["PING"])
                pingSentAt = now
            }
        }
    }

    private func awaitSubscribeConfirmation(_ connection: RedisConnection) throws(RedisError) {
        let deadline = ContinuousClock.now + configuration.commandTimeout
        let pollMilliseconds = Self.milliseconds(configuration.pollInterval)
        while ContinuousClock.now < deadline {
            if isStopped { throw .cancelled }
            guard let reply = try connection.pollReply(timeoutMilliseconds: pollMilliseconds) else { continue }
            if case .array(let items) = reply, items.first?.text == "subscribe" { return }
            if case .error(let message) = reply { throw .server(message) }
            throw .protocolError("unexpected reply to SUBSCRIBE: \(reply)")
        }
        throw .timeout
    }

    private func dispatch(_ reply: RedisReply) {
        guard case .array(let items) = reply, items.count == 3, items[0].text == "message",
            case .string(let payload) = items[2]
        else {
            return  // pong, or a confirmation we do not need
        }
        if let deletion = RedisKeys.parseDeletionMessage(payload) {
            state.withLockedValue { $0.messages += 1 }
            return onDeletion(deletion.qualifiedNamespace, deletion.generation, deletion.key)
        }
        guard let (qualified, generation) = RedisKeys.parseInvalidationMessage(payload) else {
            logger.debug("ignoring malformed invalidation message", metadata: ["message": "\(items[2])"])
            return
        }
        state.withLockedValue { $0.messages += 1 }
        onMessage(qualified, generation)
    }

    /// Sleeps up to `duration` in poll-sized slices so `stop()` is noticed promptly.
    private func sleep(for duration: Duration) {
        let end = ContinuousClock.now + duration
        while !isStopped {
            let left = end - ContinuousClock.now
            guard left > .zero else { return }
            let slice = min(left, configuration.pollInterval)
            Self.blockingSleep(slice)
        }
    }

    private static func blockingSleep(_ duration: Duration) {
        let nanoseconds = max(0, duration.nanoseconds)
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    private static func milliseconds(_ duration: Duration) -> Int32 {
        Int32(clamping: max(1, duration.nanoseconds / 1_000_000))
    }
}
