import AgentCacheCore
import AgentCacheRedis
import NIOConcurrencyHelpers

/// Keys, usage and namespaces in Redis, so every node sees them and they survive a restart
/// of the server (and of Redis, as far as its own persistence goes):
/// - `ac:key:<digest>`: a hash of the record's fields;
/// - `ac:tenant:<tenant>`: the tenant's owner (`TenantOwner.encoded`), set once;
/// - `ac:tenants:indexed`: set once the tenants of records older than the owners were claimed;
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

    /// Gives KEYS[1] (a tenant) to ARGV[1] (an encoded owner) unless another owner holds it;
    /// 1 when ARGV[1] holds it afterwards, else 0.
    static let claimTenantScript = """
        local holder = redis.call('GET', KEYS[1])
        if not holder then
            redis.call('SET', KEYS[1], ARGV[1])
            return 1
        end
        if holder == ARGV[1] then return 1 end
        return 0
        """

    /// Writes the field/value pairs ARGV[2..] into hash KEYS[1] if its `successor` field is
    /// ARGV[1] ('' = absent); 1 when written, else 0.
    static let saveIfSuccessorScript = """
        local current = redis.call('HGET', KEYS[1], 'successor') or ''
        if current ~= ARGV[1] then return 0 end
        redis.call('HSET', KEYS[1], unpack(ARGV, 2))
        return 1
        """

    /// Whether this process saw `ac:tenants:indexed` (or set it).
    private let tenantsIndexed = NIOLockedValueBox(false)

    /// Wraps `client`.
    public init(client: RedisClient) {
        self.client = client
    }

    static func recordKey(_ digest: String) -> String { RedisKeys.prefix + "key:" + digest }
    static func tenantKey(_ tenant: String) -> String { RedisKeys.prefix + "tenant:" + tenant }
    static let tenantsIndexedKey = RedisKeys.prefix + "tenants:indexed"
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

    /// `record.fields` as HSET arguments, in a stable order.
    private static func fieldArguments(_ record: KeyRecord) -> [RedisArgument] {
        record.fields.sorted(by: { $0.key < $1.key }).flatMap { [RedisArgument($0.key), RedisArgument($0.value)] }
    }

    public func save(_ records: [KeyRecord]) async throws(CacheError) {
        let commands: [[RedisArgument]] = records.map { record in
            ["HSET", .string(Self.recordKey(record.digest))] + Self.fieldArguments(record)
        }
        // Fields that became absent (none today: records only gain fields) would need HDEL.
        let replies = try await pipeline(commands)
        for case .error(let why) in replies {
            throw CacheError(.internalError, "key store (redis) refused the write: \(why)")
        }
    }

    public func save(_ record: KeyRecord, ifSuccessorIs expected: String?) async throws(CacheError) -> Bool {
        let reply = try await run(
            ["EVAL", .string(Self.saveIfSuccessorScript), 1, .string(Self.recordKey(record.digest)), .string(expected ?? "")]
                + Self.fieldArguments(record)
        )
        return reply.integer == 1
    }

    public func claimTenant(_ tenant: String, for owner: TenantOwner) async throws(CacheError) -> Bool {
        try await claimRecordedTenants()
        return try await run(["EVAL", .string(Self.claimTenantScript), 1, .string(Self.tenantKey(tenant)), .string(owner.encoded)]).integer == 1
    }

    /// Once per Redis (then once per process, one `EXISTS`): gives each stored record's tenant
    /// to its owner where the tenant has none yet, oldest key first, so keys provisioned before
    /// tenants were claimed keep theirs and the first owner keeps it; then sets
    /// `ac:tenants:indexed`. Cost the first time: one `SCAN` of the keyspace, one `HMGET` and
    /// one claim per record, pipelined. Nodes doing it at once claim in the same order.
    private func claimRecordedTenants() async throws(CacheError) {
        if tenantsIndexed.withLockedValue({ $0 }) { return }
        if try await run(["EXISTS", .string(Self.tenantsIndexedKey)]).integer != 1 {
            var keys: [String] = []
            var cursor = "0"
            repeat {
                let reply = try await run(["SCAN", .string(cursor), "MATCH", .string(Self.recordKey("*")), "COUNT", 1000])
                guard case .array(let parts) = reply, parts.count == 2, let next = parts[0].text, case .array(let found) = parts[1] else {
                    throw CacheError(.internalError, "key store (redis) gave a malformed SCAN reply")
                }
                keys += found.compactMap(\.text)
                cursor = next
            } while cursor != "0"
            var records: [(created: Int64, key: String, tenant: String, owner: TenantOwner)] = []
            let fields: [RedisArgument] = ["created_at", "namespace", "user_id", "integration", "project_id"]
            for batch in stride(from: 0, to: keys.count, by: 500).map({ keys[$0..<min($0 + 500, keys.count)] }) {
                let replies = try await pipeline(batch.map { ["HMGET", .string($0)] + fields })
                for (key, reply) in zip(batch, replies) {
                    guard case .array(let values) = reply, values.count == 5,
                        let created = values[0].integer, let tenant = values[1].text,
                        let userID = values[2].text, let integration = values[3].text, let projectID = values[4].text
                    else { continue }
                    records.append((created, key, tenant, TenantOwner(userID: userID, integration: integration, projectID: projectID)))
                }
            }
            records.sort { ($0.created, $0.key) < ($1.created, $1.key) }
            for batch in stride(from: 0, to: records.count, by: 500).map({ records[$0..<min($0 + 500, records.count)] }) {
                _ = try await pipeline(batch.map { ["EVAL", .string(Self.claimTenantScript), 1, .string(Self.tenantKey($0.tenant)), .string($0.owner.encoded)] })
            }
            _ = try await run(["SET", .string(Self.tenantsIndexedKey), "1"])
        }
        tenantsIndexed.withLockedValue { $0 = true }
    }

    public func usage(account: String, month: String) async throws(CacheError) -> (requests: Int64, namespaces: Set<String>) {
        let replies = try await pipeline([
            ["GET", .string(Self.usageKey(account, month))],
            ["SMEMBERS", .string(Self.namespacesKey(account))],
        ])
        let requests = replies.first?.integer ?? 0
        var names = Set<String>()
        if replies.count > 1, case .array(let members) = replies[1] {
            names = Set(members.compactMap(\.text))
        }
        return (requests, names)
    }

    public func addUsage(account: String, month: String, delta: Int64) async throws(CacheError) -> Int64 {
        let key = Self.usageKey(account, month)
        let replies = try await pipeline([
            ["INCRBY", .string(key), RedisArgument(delta)],
            ["EXPIRE", .string(key), RedisArgument(400 * 86_400)],
        ])
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

    private func pipeline(_ commands: [[RedisArgument]]) async throws(CacheError) -> [RedisReply] {
        do {
            return try await client.pipeline(commands)
        } catch {
            throw Self.unavailable(error)
        }
    }

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
