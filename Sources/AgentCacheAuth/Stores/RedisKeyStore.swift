import AgentCacheCore
import AgentCacheRedis

/// Keys, usage and namespaces in Redis, so every node sees them and they survive a restart
/// of the server (and of Redis, as far as its own persistence goes):
/// - `ac:key:<digest>`: a hash of the record's fields;
/// - `ac:usage:<account>:<yyyymm>`: a counter (`INCRBY`), kept 400 days;
/// - `ac:keyns:<account>`: the set of client namespaces the account used.
/// Every call is one round trip; failures become 503 `SERVICE_UNAVAILABLE` with
/// `Retry-After` (the caller decides whether to fail open).
public final class RedisKeyStore: KeyStore {
    /// The client used for every command.
    public let client: RedisClient

    /// Adds a namespace unless that would pass the limit; 1 when present or added, else 0.
    /// KEYS[1] the set; ARGV namespace, limit (0 = none).
    static let addNamespaceScript = """
        if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
        local limit = tonumber(ARGV[2]) or 0
        if limit > 0 and redis.call('SCARD', KEYS[1]) >= limit then return 0 end
        redis.call('SADD', KEYS[1], ARGV[1])
        return 1
        """

    /// Wraps `client`.
    public init(client: RedisClient) {
        self.client = client
    }

    static func recordKey(_ digest: String) -> String { RedisKeys.prefix + "key:" + digest }
    static func usageKey(_ account: String, _ month: String) -> String { RedisKeys.prefix + "usage:" + account + ":" + month }
    static func namespacesKey(_ account: String) -> String { RedisKeys.prefix + "keyns:" + account }

    public func record(digest: String) async throws(CacheError) -> KeyRecord? {
        guard case .array(let items) = try await run(["HGETALL", .string(Self.recordKey(digest))]), !items.isEmpty else {
            return nil
        }
        var fields: [String: String] = [:]
        var index = 0
        while index + 1 < items.count {
            if let name = items[index].text, let value = items[index + 1].text { fields[name] = value }
            index += 2
        }
        return KeyRecord(fields: fields)
    }

    public func save(_ records: [KeyRecord]) async throws(CacheError) {
        let commands: [[RedisArgument]] = records.map { record in
            var command: [RedisArgument] = ["HSET", .string(Self.recordKey(record.digest))]
            for (name, value) in record.fields.sorted(by: { $0.key < $1.key }) {
                command.append(.string(name))
                command.append(.string(value))
            }
            return command
        }
        // Fields that became absent (none today: records only gain fields) would need HDEL.
        let replies: [RedisReply]
        do {
            replies = try await client.pipeline(commands)
        } catch {
            throw Self.unavailable(error)
        }
        for case .error(let why) in replies {
            throw CacheError(.internalError, "key store (redis) refused the write: \(why)")
        }
    }

    public func usage(account: String, month: String) async throws(CacheError) -> (requests: Int64, namespaces: Set<String>) {
        let replies: [RedisReply]
        do {
            replies = try await client.pipeline([
                ["GET", .string(Self.usageKey(account, month))],
                ["SMEMBERS", .string(Self.namespacesKey(account))],
            ])
        } catch {
            throw Self.unavailable(error)
        }
        let requests = replies.first?.integer ?? 0
        var names = Set<String>()
        if replies.count > 1, case .array(let members) = replies[1] {
            names = Set(members.compactMap(\.text))
        }
        return (requests, names)
    }

    public func addUsage(account: String, month: String, delta: Int64) async throws(CacheError) -> Int64 {
        let key = Self.usageKey(account, month)
        let replies: [RedisReply]
        do {
            replies = try await client.pipeline([
                ["INCRBY", .string(key), RedisArgument(delta)],
                ["EXPIRE", .string(key), RedisArgument(400 * 86_400)],
            ])
        } catch {
            throw Self.unavailable(error)
        }
        guard let total = replies.first?.integer else {
            throw CacheError(.internalError, "key store (redis) gave no usage total")
        }
        return total
    }

    public func addNamespace(account: String, namespace: String, limit: Int?) async throws(CacheError) -> Bool {
        let reply = try await run([
            "EVAL", .string(Self.addNamespaceScript), 1, .string(Self.namespacesKey(account)),
            .string(namespace), RedisArgument(limit ?? 0),
        ])
        return reply.integer == 1
    }

    /// Redis writes are durable as far as Redis's own persistence goes; nothing to do.
    public func persistUsage() async throws(CacheError) {}

    private func run(_ command: [RedisArgument]) async throws(CacheError) -> RedisReply {
        do {
            return try await client.execute(command)
        } catch {
            throw Self.unavailable(error)
        }
    }

    private static func unavailable(_ error: RedisError) -> CacheError {
        // Not the caller's fault and not a bug: the key may be valid, so say "retry", not "denied".
        CacheError(.serviceUnavailable, "key store (redis) unavailable: \(error.description)", responseHeaders: ["Retry-After": "1"])
    }
}
