import AgentCacheCore
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Namespace generations shared through Redis (SPEC §4), so every node agrees on them: the
/// engine's `GenerationStore` when Redis is configured.
///
/// A generation is a random epoch in `1...maxEpoch` kept in `ac:gen:<tenant>/<ns>`, never a
/// counter: an invalidation sets a new one, and a key Redis lost (eviction, `DEL`, a restart
/// without persistence, a failover) is re-created with a new one (`SET` only when missing),
/// so entries written before are unreachable, never revived. No path takes a missing
/// generation to be 0. Every change of the key is published on `ac:invalidate` in the same
/// script, so other nodes adopt it.
///
/// The local `NamespaceGenerations` table stays what the request path reads (one lock and a
/// dictionary lookup, no I/O, once a namespace is known). This type keeps it in step:
/// - `generation(of:)` asks Redis once, the first time this node meets a namespace;
/// - `advance` sets and publishes a new epoch in one round trip;
/// - `apply` takes an epoch another node published (`RedisSubscriber`);
/// - `refresh` (after every resubscription, and every `refreshInterval` while `run()` runs)
///   re-reads the namespaces the table holds. Where Redis lost one it is re-created; where
///   Redis holds another epoch than this node, the node cannot tell an invalidation it missed
///   from a failover that lost one, so a new epoch replaces it (one extra invalidation, on
///   every node, instead of a possible revival).
/// An answer read from Redis is only taken if no broadcast changed the namespace while it was
/// on its way (the table's change count), so a slow read never undoes a newer invalidation.
///
/// Fail-open: when Redis is unreachable `advance` invalidates locally at once (a random epoch
/// of this node's own) and a namespace met for the first time gets a provisional random
/// epoch; both are settled in the background (once a second) when Redis is back: the local
/// invalidation by a new shared epoch, the provisional epoch by Redis's.
public final class RedisGenerations: GenerationStore, Service {
    /// The client used for every command.
    public let client: RedisClient
    /// The local table the request path reads.
    public let table: NamespaceGenerations

    /// The largest epoch: 2^53 − 1, so every JSON reader (JavaScript's included) holds the
    /// `generation` answers exactly. Two random epochs of one namespace coincide with
    /// probability 2^-53.
    public static let maxEpoch: UInt64 = (1 << 53) - 1

    /// What a namespace whose epoch this node made alone still needs from Redis.
    enum Need {
        /// Met while Redis did not answer: take Redis's epoch.
        case shared
        /// Invalidated while Redis did not answer: Redis needs a new epoch.
        case newEpoch
    }

    private struct Unsettled {
        var need: Need
        /// Changes with every local mark, so a settle started before it never clears it.
        var ticket: UInt64
    }

    private struct Backlog {
        var namespaces: [String: Unsettled] = [:]
        var nextTicket: UInt64 = 0
        /// A full `refresh` failed and must be run again.
        var refreshWanted = false
        var retrying = false
    }

    /// Guards the backlog; when nested, taken before the table's lock.
    private let backlog = NIOLockedValueBox(Backlog())
    private let scriptsUnavailable = NIOLockedValueBox(false)
    private let retryInterval: Duration
    private let refreshInterval: Duration
    private let logger: Logger

    /// The most namespaces one `MGET` (or one pipeline of scripts) carries.
    static let refreshBatch = 256

    /// Sets a new epoch and publishes it; atomic, one round trip.
    /// KEYS[1] generation key; ARGV epoch, channel, qualified namespace. Values stay strings
    /// (Lua numbers are doubles).
    static let advanceScript = """
        redis.call('SET', KEYS[1], ARGV[1])
        redis.call('PUBLISH', ARGV[2], ARGV[3] .. ' ' .. ARGV[1])
        return ARGV[1]
        """

    /// Returns the epoch Redis holds, unless the key is missing or holds exactly ARGV[1] (a
    /// value the caller distrusts; empty for none): then sets ARGV[2], publishes it and returns
    /// it. KEYS[1] generation key; ARGV distrusted, new epoch, channel, qualified namespace.
    static let replaceScript = """
        local current = redis.call('GET', KEYS[1])
        if current and current ~= ARGV[1] then return current end
        redis.call('SET', KEYS[1], ARGV[2])
        redis.call('PUBLISH', ARGV[3], ARGV[4] .. ' ' .. ARGV[2])
        return ARGV[2]
        """

    /// Wraps `client` and the node's `table`. `retryInterval` paces the background settling of
    /// epochs made while Redis was unreachable (and of a failed refresh); `refreshInterval`
    /// paces `run()`'s re-reads.
    public init(
        client: RedisClient,
        table: NamespaceGenerations = NamespaceGenerations(),
        retryInterval: Duration = .seconds(1),
        refreshInterval: Duration = .seconds(30),
        logger: Logger = Logger(label: "agentcache.redis.generations")
    ) {
        self.client = client
        self.table = table
        self.retryInterval = retryInterval
        self.refreshInterval = refreshInterval
        self.logger = logger
    }

    /// A new random epoch in `1...maxEpoch`.
    public static func newEpoch() -> UInt64 {
        UInt64.random(in: 1...maxEpoch)
    }

    // MARK: - GenerationStore

    /// The generation to use for `namespace`. From memory once the table knows the namespace
    /// (`.now`: a lock and a lookup); the first time, one script round trip that reads the
    /// epoch or creates one. While Redis fails, a provisional random epoch (never 0), replaced
    /// by Redis's once it answers.
    public func generation(of namespace: CacheNamespace) -> Eventual<UInt64> {
        if let known = table.known(namespace.qualified) { return .value(known) }
        return .later { [self] in
            if let loaded = await load(namespace) { return .success(loaded) }
            return .success(markUnsettled(namespace.qualified, .shared))
        }
    }

    /// Invalidates `namespace` on every node and returns its new epoch. One round trip (two
    /// if the server refuses Lua). If Redis fails, the namespace is still invalidated here at
    /// once, and a new shared epoch is set and broadcast in the background when it is back;
    /// but other nodes may serve its entries until then, so the invalidation is not
    /// acknowledged: 503 `SERVICE_UNAVAILABLE` with `Retry-After` (SPEC §4's invariant).
    public func advance(_ namespace: CacheNamespace) async throws(CacheError) -> UInt64 {
        if let shared = await advanceShared(namespace) { return shared }
        let local = markUnsettled(namespace.qualified, .newEpoch)
        logger.warning(
            "redis unreachable; namespace invalidated on this node only until it is back",
            metadata: ["namespace": "\(namespace.qualified)", "generation": "\(local)"]
        )
        throw CacheError(
            .serviceUnavailable,
            "Redis did not take the invalidation (unreachable, or no replica confirmed it), so it cannot hold on every node: '\(namespace.name)' is invalidated on this node now and everywhere once Redis takes it, but not acknowledged until then; retry",
            responseHeaders: ["Retry-After": "1"]
        )
    }

    // MARK: - Shared operations

    /// Sets and broadcasts a new shared epoch for `namespace` and takes it into the table.
    /// Returns the epoch the table holds afterwards (this one, or a newer broadcast), or nil
    /// when Redis failed (nothing changed anywhere).
    public func advanceShared(_ namespace: CacheNamespace) async -> UInt64? {
        let name = namespace.qualified
        let before = observe(name)
        let epoch = Self.newEpoch()
        guard await setShared(name, to: epoch) else { return nil }
        return settle(name, epoch, observed: before, clearing: [.shared, .newEpoch])
    }

    /// Takes an epoch a node broadcast into the table. O(1), no I/O; the `RedisSubscriber`
    /// message handler. Returns whether it replaced another generation this node held (only
    /// then can its edge tier hold entries the new epoch hides; not for a namespace first met,
    /// nor for this node's own epoch coming back). A 0 is no epoch and is ignored.
    @discardableResult
    public func apply(qualifiedNamespace: String, generation: UInt64) -> Bool {
        guard generation != 0 else { return false }
        return table.set(qualifiedNamespace, to: generation)
    }

    /// Reads `namespace`'s shared epoch (creating one when Redis has none) and takes it into
    /// the table unless something newer arrived meanwhile. Returns the epoch the table holds
    /// afterwards, or nil when Redis failed. One round trip.
    @discardableResult
    public func load(_ namespace: CacheNamespace) async -> UInt64? {
        let name = namespace.qualified
        let before = observe(name)
        guard let epoch = await sharedEpoch(name, distrusting: []) else { return nil }
        return settle(name, epoch, observed: before, clearing: [.shared])
    }

    /// Re-reads the shared epochs of `namespaces` (default: every namespace the table holds)
    /// with batched `MGET`s. A namespace Redis lost, or holds at another epoch than this node,
    /// gets a new epoch, set only if Redis still holds what was read, and broadcast; epochs
    /// this node made while Redis was unreachable are settled. Returns false when any command
    /// failed; a failed full refresh is retried in the background.
    /// Cost: one round trip per 256 namespaces, plus one pipeline per batch that differed.
    @discardableResult
    public func refresh(namespaces: [String]? = nil) async -> Bool {
        let names = namespaces ?? Array(table.snapshot().keys)
        let unsettled = backlog.withLockedValue { $0.namespaces }
        var succeeded = await settleBacklog(names.filter { unsettled[$0] != nil })
        let rest = names.filter { unsettled[$0] == nil }
        var start = 0
        while start < rest.count {
            let batch = Array(rest[start..<min(start + Self.refreshBatch, rest.count)])
            start += Self.refreshBatch
            if !(await refreshBatch(batch)) { succeeded = false }
        }
        if namespaces == nil {
            let retry = backlog.withLockedValue { backlog in
                backlog.refreshWanted = !succeeded
                return startRetrying(&backlog)
            }
            if retry { startRetryTask() }
        }
        return succeeded
    }

    /// Namespaces whose epoch this node made alone, waiting for Redis to come back.
    public var pendingNamespaces: Set<String> {
        backlog.withLockedValue { Set($0.namespaces.keys) }
    }

    /// Refreshes every `refreshInterval` until graceful shutdown or cancellation, so a change
    /// no broadcast announced (a lost key nobody re-created yet) is noticed.
    public func run() async throws {
        await runPeriodically(every: refreshInterval) {
            _ = await refresh()
        }
    }

    /// A subscriber wired to this table: messages are applied, every (re)subscription triggers
    /// a `refresh` so invalidations missed while disconnected are picked up. Run it as a service.
    public func makeSubscriber(
        configuration: RedisSubscriber.Configuration,
        logger: Logger = Logger(label: "agentcache.redis.subscriber")
    ) -> RedisSubscriber {
        RedisSubscriber(
            configuration: configuration,
            logger: logger,
            onMessage: { [self] qualified, generation in
                _ = apply(qualifiedNamespace: qualified, generation: generation)
            },
            onResubscribed: { [self] in
                Task { await refresh() }
            }
        )
    }

    // MARK: - Settling

    /// What a settle compares against: the table's change count and the backlog ticket.
    private struct Observation {
        var changes: UInt64
        var ticket: UInt64?
    }

    private func observe(_ name: String) -> Observation {
        backlog.withLockedValue { backlog in
            Observation(changes: table.changes(of: name), ticket: backlog.namespaces[name]?.ticket)
        }
    }

    /// Takes `epoch` (read or written in Redis after `observed`) into the table unless a
    /// newer value arrived meanwhile, and clears the namespace from the backlog when this
    /// answer settles what it needs. A namespace whose need this answer does not meet is left
    /// alone (a read never undoes a local invalidation). Returns the generation now held.
    @discardableResult
    private func settle(_ name: String, _ epoch: UInt64, observed: Observation, clearing: Set<Need>) -> UInt64 {
        backlog.withLockedValue { backlog in
            if let unsettled = backlog.namespaces[name] {
                guard clearing.contains(unsettled.need) else { return table.known(name) ?? epoch }
                if unsettled.ticket == observed.ticket { backlog.namespaces[name] = nil }
            }
            table.set(name, to: epoch, ifUnchangedSince: observed.changes)
            return table.known(name) ?? epoch
        }
    }

    /// Gives `name` an epoch of this node's own, to be settled with Redis in the background:
    /// a new one for a local invalidation; for a first sight, one only if none arrived
    /// meanwhile. Returns the generation now held.
    private func markUnsettled(_ name: String, _ need: Need) -> UInt64 {
        let (generation, retry) = backlog.withLockedValue { backlog -> (UInt64, Bool) in
            if need == .shared, let known = table.known(name) { return (known, false) }
            let epoch = Self.newEpoch()
            table.set(name, to: epoch)
            backlog.nextTicket += 1
            let kept = backlog.namespaces[name]?.need == .newEpoch ? Need.newEpoch : need
            backlog.namespaces[name] = Unsettled(need: kept, ticket: backlog.nextTicket)
            return (epoch, startRetrying(&backlog))
        }
        if retry { startRetryTask() }
        return generation
    }

    /// Settles `names` from the backlog: a new shared epoch, or Redis's. True when all did.
    private func settleBacklog(_ names: [String]) async -> Bool {
        var succeeded = true
        for name in names {
            let before = observe(name)
            guard let need = backlog.withLockedValue({ $0.namespaces[name]?.need }) else { continue }
            switch need {
            case .newEpoch:
                let epoch = Self.newEpoch()
                if await setShared(name, to: epoch) {
                    settle(name, epoch, observed: before, clearing: [.shared, .newEpoch])
                } else {
                    succeeded = false
                }
            case .shared:
                if let epoch = await sharedEpoch(name, distrusting: []) {
                    settle(name, epoch, observed: before, clearing: [.shared])
                } else {
                    succeeded = false
                }
            }
        }
        return succeeded
    }

    /// One `MGET` of `names`, then a new epoch wherever Redis lost the key or holds another
    /// epoch than the table (when the table did not change meanwhile). True on success.
    private func refreshBatch(_ names: [String]) async -> Bool {
        let observed = names.map(observe)
        let keys = names.map { RedisArgument(RedisKeys.generation(ofQualified: $0)) }
        guard case .array(let values)? = try? await client.execute(["MGET"] + keys), values.count == names.count else {
            return false
        }
        var differing: [(name: String, distrusted: [UInt8], observed: Observation)] = []
        for (index, name) in names.enumerated() {
            let shared = Self.epoch(values[index])
            let local = table.known(name)
            guard shared == nil || shared != local else { continue }
            // A broadcast arrived after the read was sent: it is newer than what was read.
            guard table.changes(of: name) == observed[index].changes else { continue }
            if local == nil, let shared {
                // A namespace this node never held just takes Redis's epoch.
                settle(name, shared, observed: observed[index], clearing: [])
                continue
            }
            differing.append((name, local == nil ? [] : values[index].bytes ?? [], observed[index]))
        }
        guard !differing.isEmpty else { return true }
        logger.notice(
            "redis holds other generations than this node (lost, missed or rolled back); setting new ones",
            metadata: ["namespaces": "\(differing.count)"]
        )
        let epochs = await sharedEpochs(differing.map { ($0.name, $0.distrusted) })
        var succeeded = true
        for (item, epoch) in zip(differing, epochs) {
            if let epoch {
                settle(item.name, epoch, observed: item.observed, clearing: [])
            } else {
                succeeded = false
            }
        }
        return succeeded
    }

    // MARK: - Retrying

    /// Marks the retry task as running; true when the caller must start it.
    private func startRetrying(_ backlog: inout Backlog) -> Bool {
        guard !backlog.retrying, !backlog.namespaces.isEmpty || backlog.refreshWanted else { return false }
        backlog.retrying = true
        return true
    }

    private func startRetryTask() {
        // Unstructured on purpose: it outlives the request and ends by itself once the backlog
        // is settled or the client is shut down.
        Task { await self.retryBacklog() }
    }

    /// Settles the backlog (and re-runs a failed full refresh) every `retryInterval` until
    /// nothing is left or the client is shut down.
    private func retryBacklog() async {
        while true {
            try? await Task.sleep(for: retryInterval)
            let (names, refreshWanted) = backlog.withLockedValue { (Array($0.namespaces.keys), $0.refreshWanted) }
            if (names.isEmpty && !refreshWanted) || client.isShutDown {
                backlog.withLockedValue { $0.retrying = false }
                return
            }
            let settled = await (refreshWanted ? refresh() : settleBacklog(names))
            if settled {
                logger.info("generations made while redis was unreachable are settled", metadata: ["namespaces": "\(names.count)"])
            }
            let done = backlog.withLockedValue { backlog in
                if backlog.namespaces.isEmpty && !backlog.refreshWanted { backlog.retrying = false }
                return !backlog.retrying
            }
            if done { return }
        }
    }

    // MARK: - Commands

    /// The epoch a reply holds: a positive decimal integer; nil for a missing key, 0 or
    /// anything else.
    static func epoch(_ reply: RedisReply) -> UInt64? {
        guard let value = reply.integer, value > 0 else { return nil }
        return UInt64(value)
    }

    /// Whether a server error means Lua scripting is refused (ACL or a managed Redis), rather
    /// than a failure of this command.
    static func refusesScripts(_ message: String) -> Bool {
        message.hasPrefix("NOPERM") || message.lowercased().contains("unknown command")
    }

    /// `SET` + `PUBLISH` of `epoch` for `name`. True on success.
    private func setShared(_ name: String, to epoch: UInt64) async -> Bool {
        let key = RedisKeys.generation(ofQualified: name)
        if !scriptsUnavailable.withLockedValue({ $0 }) {
            do throws(RedisError) {
                // On a replica as well before it counts: a failover must not lose it (SPEC §4).
                let replies = try await client.replicated([[
                    "EVAL", .string(Self.advanceScript), 1, .string(key),
                    RedisArgument(epoch), .string(RedisKeys.invalidationChannel), .string(name),
                ]])
                if case .error(let why)? = replies.first { throw .server(why) }
                return true
            } catch .server(let why) where Self.refusesScripts(why) {
                noteScriptsRefused(why)
            } catch {
                return false
            }
        }
        // Without Lua: not atomic; if the PUBLISH is lost, other nodes converge on their next refresh.
        let message = RedisKeys.invalidationMessage(qualifiedNamespace: name, generation: epoch)
        guard let replies = try? await client.replicated([
            ["SET", .string(key), RedisArgument(epoch)],
            ["PUBLISH", .string(RedisKeys.invalidationChannel), .string(message)],
        ]) else { return false }
        return !replies.contains { if case .error = $0 { true } else { false } }
    }

    /// Redis's epoch for `name`, set to a new one (and broadcast) when the key is missing or
    /// holds exactly `distrusted`, or holds no epoch at all. nil when Redis failed.
    private func sharedEpoch(_ name: String, distrusting distrusted: [UInt8]) async -> UInt64? {
        var distrusted = distrusted
        for _ in 0..<2 {
            guard let reply = await replaceShared(name, distrusting: distrusted) else { return nil }
            if let epoch = Self.epoch(reply) { return epoch }
            distrusted = reply.bytes ?? []  // a foreign value under our key: replace it too
        }
        return nil
    }

    /// `sharedEpoch` for many namespaces: one pipeline of scripts when Lua is allowed.
    private func sharedEpochs(_ items: [(name: String, distrusted: [UInt8])]) async -> [UInt64?] {
        guard items.count > 1, !scriptsUnavailable.withLockedValue({ $0 }) else {
            var epochs: [UInt64?] = []
            for item in items { epochs.append(await sharedEpoch(item.name, distrusting: item.distrusted)) }
            return epochs
        }
        let commands = items.map { replaceCommand($0.name, distrusting: $0.distrusted, epoch: Self.newEpoch()) }
        guard let replies = try? await client.pipeline(commands), replies.count == items.count else {
            return Array(repeating: nil, count: items.count)
        }
        var epochs: [UInt64?] = []
        for (item, reply) in zip(items, replies) {
            if let epoch = Self.epoch(reply) {
                epochs.append(epoch)
            } else if case .error = reply {
                epochs.append(nil)
            } else {
                epochs.append(await sharedEpoch(item.name, distrusting: reply.bytes ?? []))
            }
        }
        return epochs
    }

    private func replaceCommand(_ name: String, distrusting distrusted: [UInt8], epoch: UInt64) -> [RedisArgument] {
        [
            "EVAL", .string(Self.replaceScript), 1, .string(RedisKeys.generation(ofQualified: name)),
            .bytes(distrusted), RedisArgument(epoch), .string(RedisKeys.invalidationChannel), .string(name),
        ]
    }

    /// One `replaceScript` round trip; without Lua, `SET NX` + `GET` (and a `PUBLISH` when it
    /// created the key), or a plain new epoch when a value is distrusted.
    private func replaceShared(_ name: String, distrusting distrusted: [UInt8]) async -> RedisReply? {
        let epoch = Self.newEpoch()
        if !scriptsUnavailable.withLockedValue({ $0 }) {
            do {
                return try await client.execute(replaceCommand(name, distrusting: distrusted, epoch: epoch))
            } catch .server(let why) where Self.refusesScripts(why) {
                noteScriptsRefused(why)
            } catch {
                return nil
            }
        }
        guard distrusted.isEmpty else {
            return await setShared(name, to: epoch) ? .string(Array(String(epoch).utf8)) : nil
        }
        let key = RedisKeys.generation(ofQualified: name)
        guard let replies = try? await client.pipeline([["SET", .string(key), RedisArgument(epoch), "NX"], ["GET", .string(key)]]),
            replies.count == 2
        else { return nil }
        if case .status = replies[0] {
            // Created here: tell the nodes that still hold the epoch Redis lost.
            _ = try? await client.execute([
                "PUBLISH", .string(RedisKeys.invalidationChannel),
                .string(RedisKeys.invalidationMessage(qualifiedNamespace: name, generation: epoch)),
            ])
        }
        return replies[1]
    }

    private func noteScriptsRefused(_ why: String) {
        // Scripting disabled (some managed Redis): plain commands from now on.
        logger.notice("redis refused EVAL; using plain commands", metadata: ["error": "\(why)"])
        scriptsUnavailable.withLockedValue { $0 = true }
    }
}
