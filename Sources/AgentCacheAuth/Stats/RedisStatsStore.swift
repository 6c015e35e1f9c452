import AgentCacheCore
import AgentCacheRedis
import Logging

/// `TenantStats` figures shared by every node and kept across restarts: one hash per tenant
/// and UTC hour, `ac:stats:<tenant>:<yyyymmddhh>`, with fields `requests`, `hits`, `misses`,
/// expiring after 31 days (the longest period asked for is 30). Nodes add to it in batches
/// (`add`) and read a period back by summing its hours (`totals`). Failures report nil so
/// the caller keeps its own figures meanwhile (logged once per change, `RedisFallback`).
public final class RedisStatsStore: Sendable {
    /// Runs every pipeline, and says when Redis is unreachable.
    public let redis: RedisFallback

    /// Seconds an hour's hash lives after its last increment.
    public static let retentionSeconds = 31 * 86_400

    /// Shares figures through `client`.
    public init(client: RedisClient, logger: Logger = Logger(label: "agentcache.stats")) {
        self.redis = RedisFallback(client: client, subject: "redis tenant statistics", meanwhile: "keeping them per node until it is back", logger: logger)
    }

    /// The hash of `tenant`'s hour `hour` (hours since the epoch, UTC).
    public static func key(tenant: String, hour: Int64) -> String {
        let iso = Timestamp.iso8601(millis: hour * 3_600_000)
        // "2023-11-14T22:..." -> "2023111422"
        return RedisKeys.prefix + "stats:" + tenant + ":" + String(iso.prefix(13).filter(\.isNumber))
    }

    /// Adds `batch` (tenant → hour → counts) in one pipeline: HINCRBY per non-zero field and
    /// an EXPIRE per hash. Returns false when Redis did not take it (the caller keeps it).
    public func add(_ batch: [String: [Int64: TenantStats.Counts]]) async -> Bool {
        var commands: [[RedisArgument]] = []
        for (tenant, hours) in batch {
            for (hour, counts) in hours {
                let key = RedisArgument(Self.key(tenant: tenant, hour: hour))
                for (field, value) in [("requests", counts.requests), ("hits", counts.hits), ("misses", counts.misses)] where value != 0 {
                    commands.append(["HINCRBY", key, .string(field), RedisArgument(value)])
                }
                commands.append(["EXPIRE", key, RedisArgument(Self.retentionSeconds)])
            }
        }
        guard !commands.isEmpty else { return true }
        let stored = await redis.attempt { client -> Bool? in
            let replies = try await client.pipeline(commands)
            return replies.allSatisfy { if case .error = $0 { false } else { true } } ? true : nil
        }
        return stored ?? false
    }

    /// The sum of `tenant`'s `hours`, read with one pipelined HGETALL per hour; nil when
    /// Redis did not answer. Cost: one round trip carrying up to 720 small replies.
    public func totals(tenant: String, hours: some Sequence<Int64>) async -> TenantStats.Counts? {
        let commands: [[RedisArgument]] = hours.map { ["HGETALL", .string(Self.key(tenant: tenant, hour: $0))] }
        guard !commands.isEmpty else { return TenantStats.Counts() }
        return await redis.attempt { client -> TenantStats.Counts? in
            var total = TenantStats.Counts()
            for reply in try await client.pipeline(commands) {
                guard case .array(let pairs) = reply else { return nil }
                var index = 0
                while index + 1 < pairs.count {
                    let value = pairs[index + 1].text.flatMap { Int64($0) } ?? 0
                    switch pairs[index].text {
                    case "requests": total.requests += value
                    case "hits": total.hits += value
                    case "misses": total.misses += value
                    default: break
                    }
                    index += 2
                }
            }
            return total
        }
    }
}
