import AgentCacheCore
import Logging
import NIOConcurrencyHelpers

/// Namespace generations shared through Redis (SPEC §4), so every node agrees on them: the
/// engine's `GenerationStore` when Redis is configured.
///
/// The local `NamespaceGenerations` table stays what the request path reads (one lock and a
/// dictionary lookup, no I/O, once a namespace is known). This type keeps it in step:
/// - `generation(of:)` reads Redis once, the first time this node meets a namespace;
/// - `advance` bumps `ac:gen:<tenant>/<ns>` and publishes `<qualified> <generation>` on
///   `ac:invalidate` in one atomic round trip (a Lua script), then raises the local table;
/// - `apply` raises the table from a message another node published (`RedisSubscriber`);
/// - `refresh` re-reads every generation the table holds (after a reconnect, messages may have
///   been missed) and pushes back any Redis has lost.
/// Generations only ever move up, so messages, refreshes and loads can race harmlessly.
///
/// Fail-open: when Redis is unreachable `advance` still invalidates locally and retries in
/// the background (once a second) to raise the shared counter to the local value and
/// broadcast it, so no node keeps serving what this node invalidated once Redis is back.
public final class RedisGenerations: GenerationStore {
    /// The client used for every command.
    public let client: RedisClient
    /// The local table the request path reads.
    public let table: NamespaceGenerations

    private struct Pending {
        /// Namespaces advanced locally while Redis was unreachable.
        var namespaces: Set<String> = []
        var retrying = false
    }

    private let pending = NIOLockedValueBox(Pending())
    private let scriptsUnavailable = NIOLockedValueBox(false)
    private let retryInterval: Duration
    private let logger: Logger

    /// The most namespaces one `MGET` asks for; keeps a refresh's replies small.
    static let refreshBatch = 256

    /// Advances the counter to at least `floor + 1` (the caller's local generation), so a
    /// Redis that lost its data (restart without persistence) can never hand out a generation
    /// this node already used, then publishes the new one. Atomic, one round trip.
    /// KEYS[1] counter; ARGV channel, qualified namespace, floor.
    static let advanceScript = """
        local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
        local floor = tonumber(ARGV[3]) or 0
        if current < floor then redis.call('SET', KEYS[1], floor) end
        local generation = redis.call('INCR', KEYS[1])
        redis.call('PUBLISH', ARGV[1], ARGV[2] .. ' ' .. generation)
        return generation
        """

    /// Raises the counter to ARGV[1] when it is lower and broadcasts the raise; returns what
    /// it holds afterwards. KEYS[1] counter; ARGV wanted, channel, qualified namespace.
    static let raiseScript = """
        local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
        local wanted = tonumber(ARGV[1]) or 0
        if current < wanted then
            redis.call('SET', KEYS[1], ARGV[1])
            redis.call('PUBLISH', ARGV[2], ARGV[3] .. ' ' .. ARGV[1])
            return wanted
        end
        return current
        """

    /// Wraps `client` and the node's `table`. `retryInterval` paces the background push of
    /// invalidations made while Redis was unreachable.
    public init(
        client: RedisClient,
        table: NamespaceGenerations = NamespaceGenerations(),
        retryInterval: Duration = .seconds(1),
        logger: Logger = Logger(label: "agentcache.redis.generations")
    ) {
        self.client = client
        self.table = table
        self.retryInterval = retryInterval
        self.logger = logger
    }

    // MARK: - GenerationStore

    /// The generation to use for `namespace`. From memory once the table knows the namespace
    /// (`.now`: a lock and a lookup); the first time, one `GET` so a node that starts after an
    /// invalidation never uses a stale generation. While Redis fails, answers from the table
    /// (0 for an unknown namespace) and tries Redis again on the next call.
    public func generation(of namespace: CacheNamespace) -> Eventual<UInt64> {
        if let known = table.known(namespace.qualified) { return .value(known) }
        return .later { [self] in .success(await load(namespace) ?? table.current(namespace)) }
    }

    /// Invalidates `namespace` on every node and returns its new generation. One round trip
    /// (two if the server refuses Lua). If Redis fails, the namespace is still invalidated
    /// here at once, and pushed to Redis and the other nodes in the background when it is back.
    public func advance(_ namespace: CacheNamespace) async -> UInt64 {
        if let shared = await advanceShared(namespace) { return shared }
        let local = table.advanceNow(namespace)
        logger.warning(
            "redis unreachable; namespace invalidated on this node only until it is back",
            metadata: ["namespace": "\(namespace.qualified)", "generation": "\(local)"]
        )
        let startRetrying = pending.withLockedValue { pending in
            pending.namespaces.insert(namespace.qualified)
            defer { pending.retrying = true }
            return !pending.retrying
        }
        if startRetrying {
            // Unstructured on purpose: it outlives the request and ends by itself once the
            // backlog is pushed or the client is shut down.
            Task { await self.retryPending() }
        }
        return local
    }

    // MARK: - Shared operations

    /// Bumps the shared generation of `namespace`, broadcasts it and raises the local table.
    /// Returns the new generation, or nil when Redis failed (nothing changed anywhere).
    public func advanceShared(_ namespace: CacheNamespace) async -> UInt64? {
        let key = RedisKeys.generation(ofQualified: namespace.qualified)
        let floor = table.current(namespace)
        var generation: UInt64?
        if !scriptsUnavailable.withLockedValue({ $0 }) {
            do {
                let reply = try await client.execute([
                    "EVAL", .string(Self.advanceScript), 1, .string(key),
                    .string(RedisKeys.invalidationChannel), .string(namespace.qualified), RedisArgument(floor),
                ])
                generation = reply.integer.flatMap(UInt64.init(exactly:))
            } catch .server(let why) {
                // Scripting disabled (some managed Redis): fall back to INCR then PUBLISH.
                logger.notice("redis refused EVAL; using INCR + PUBLISH", metadata: ["error": "\(why)"])
                scriptsUnavailable.withLockedValue { $0 = true }
            } catch {
                return nil
            }
        }
        if generation == nil && scriptsUnavailable.withLockedValue({ $0 }) {
            generation = await advanceWithoutScript(key: key, qualified: namespace.qualified)
        }
        guard let generation else { return nil }
        return table.raise(namespace.qualified, to: generation)
    }

    /// Applies an invalidation another node broadcast: raises the local table. O(1), no I/O;
    /// the `RedisSubscriber` message handler.
    public func apply(qualifiedNamespace: String, generation: UInt64) {
        table.raise(qualifiedNamespace, to: generation)
    }

    /// Reads `namespace`'s shared generation and raises the local table to it. Returns the
    /// generation Redis holds (0 when never invalidated), or nil when Redis failed.
    /// One round trip.
    @discardableResult
    public func load(_ namespace: CacheNamespace) async -> UInt64? {
        let key = RedisKeys.generation(ofQualified: namespace.qualified)
        guard let reply = try? await client.execute([.string("GET"), .string(key)]) else { return nil }
        let generation = reply.integer.flatMap(UInt64.init(exactly:)) ?? 0
        table.raise(namespace.qualified, to: generation)
        return generation
    }

    /// Re-reads the shared generations of `namespaces` (default: every namespace the local
    /// table holds) with batched `MGET`s and raises the table. Where Redis is behind the table
    /// (it lost its data, or an invalidation happened here while it was unreachable) it is
    /// raised back and the generation broadcast. Returns false when any batch failed.
    /// Cost: one round trip per 256 namespaces, plus one pipeline where Redis is behind.
    @discardableResult
    public func refresh(namespaces: [String]? = nil) async -> Bool {
        let names = namespaces ?? Array(table.snapshot().keys)
        var succeeded = true
        var start = 0
        while start < names.count {
            let batch = Array(names[start..<min(start + Self.refreshBatch, names.count)])
            start += Self.refreshBatch
            let keys = batch.map { RedisArgument(RedisKeys.generation(ofQualified: $0)) }
            guard case .array(let values)? = try? await client.execute(["MGET"] + keys), values.count == batch.count else {
                succeeded = false
                continue
            }
            var behind: [(name: String, local: UInt64)] = []
            for (name, value) in zip(batch, values) {
                let shared = value.integer.flatMap(UInt64.init(exactly:)) ?? 0
                let local = table.raise(name, to: shared)
                if local > shared { behind.append((name, local)) }
            }
            if !behind.isEmpty, !(await pushBehind(behind)) { succeeded = false }
        }
        return succeeded
    }

    /// Namespaces invalidated on this node only, waiting for Redis to come back.
    public var pendingNamespaces: Set<String> {
        pending.withLockedValue { $0.namespaces }
    }

    /// A subscriber wired to this table: messages raise it, every (re)subscription triggers a
    /// `refresh` so invalidations missed while disconnected are picked up. Run it as a service.
    public func makeSubscriber(
        configuration: RedisSubscriber.Configuration,
        logger: Logger = Logger(label: "agentcache.redis.subscriber")
    ) -> RedisSubscriber {
        RedisSubscriber(
            configuration: configuration,
            logger: logger,
            onMessage: { [self] qualified, generation in
                apply(qualifiedNamespace: qualified, generation: generation)
            },
            onResubscribed: { [self] in
                Task { await refresh() }
            }
        )
    }

    // MARK: - Internals

    /// Raises Redis to the local generation of each item and broadcasts it. True on success.
    private func pushBehind(_ items: [(name: String, local: UInt64)]) async -> Bool {
        if scriptsUnavailable.withLockedValue({ $0 }) {
            // Not atomic without Lua; good enough for the rare server that forbids scripts.
            for item in items {
                let key = RedisKeys.generation(ofQualified: item.name)
                let message = RedisKeys.invalidationMessage(qualifiedNamespace: item.name, generation: item.local)
                guard (try? await client.pipeline([
                    ["SET", .string(key), RedisArgument(item.local)],
                    ["PUBLISH", .string(RedisKeys.invalidationChannel), .string(message)],
                ])) != nil else { return false }
            }
            return true
        }
        let commands: [[RedisArgument]] = items.map { item in
            [
                "EVAL", .string(Self.raiseScript), 1, .string(RedisKeys.generation(ofQualified: item.name)),
                RedisArgument(item.local), .string(RedisKeys.invalidationChannel), .string(item.name),
            ]
        }
        guard let replies = try? await client.pipeline(commands) else { return false }
        return !replies.contains { if case .error = $0 { true } else { false } }
    }

    /// Pushes locally-made invalidations to Redis once a second until none are left or the
    /// client is shut down.
    private func retryPending() async {
        while true {
            try? await Task.sleep(for: retryInterval)
            let names = pending.withLockedValue { Array($0.namespaces) }
            if names.isEmpty || client.isShutDown {
                pending.withLockedValue { $0.retrying = false }
                return
            }
            if await refresh(namespaces: names) {
                let done = pending.withLockedValue { pending in
                    pending.namespaces.subtract(names)
                    if pending.namespaces.isEmpty { pending.retrying = false }
                    return !pending.retrying
                }
                logger.info("local invalidations pushed to redis", metadata: ["namespaces": "\(names.count)"])
                if done { return }
            }
        }
    }

    private func advanceWithoutScript(key: String, qualified: String) async -> UInt64? {
        guard let reply = try? await client.execute([.string("INCR"), .string(key)]),
            let generation = reply.integer.flatMap(UInt64.init(exactly:))
        else { return nil }
        // If this PUBLISH is lost, other nodes still converge on their next refresh.
        _ = try? await client.execute([
            "PUBLISH", .string(RedisKeys.invalidationChannel),
            .string(RedisKeys.invalidationMessage(qualifiedNamespace: qualified, generation: generation)),
        ])
        return generation
    }
}
