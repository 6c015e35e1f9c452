import AgentCacheCore
import AgentCacheRedis
import Logging

/// `TenantStats` figures shared by every node and kept across restarts: one hash per row (a
/// tenant, or a tenant namespace `<tenant>/<namespace>`) and UTC hour,
/// `ac:stats:<row>:<yyyymmddhh>`, with fields `requests`, `hits`, `misses`, `tokens_saved`,
/// `nanodollars_saved`, `timed_lookups`, `lookup_us`, expiring after 31 days (the longest
/// period asked for is 30). Nodes add to it in batches (`add`) and read a period back by
/// summing its hours (`totals`). Failures report nil so the caller keeps its own figures
/// meanwhile (logged once per change, `RedisFallback`).
public final class RedisStatsStore: Sendable {
    /// Runs every pipeline, and says when Redis is unreachable.
    public let redis: RedisFallback

    /// Seconds an hour's hash lives after its last increment.
    public static let retentionSeconds = 31 * 86_400

    /// Shares figures through `client`.
    public init(client: RedisClient, logger: Logger = Logger(label: "agentcache.stats")) {
        self.redis = RedisFallback(client: client, subject: "redis tenant statistics", meanwhile: "keeping them per node until it is back", logger: logger)
    }

    /// The hash of `row`'s hour `hour` (hours since the epoch, UTC).
    public static func key(row: String, hour: Int64) -> String {
        let iso = Timestamp.iso8601(millis: hour * 3_600_000)
        // "2023-11-14T22:..." -> "2023111422"
        return RedisKeys.prefix + "stats:" + row + ":" + String(iso.prefix(13).filter(\.isNumber))
    }

    /// The hash fields and the counts they hold.
    private static let fields: [(name: String, value: any WritableKeyPath<TenantStats.Counts, Int64> & Sendable)] = [
        ("requests", \.requests), ("hits", \.hits), ("misses", \.misses), ("tokens_saved", \.tokensSaved),
        ("nanodollars_saved", \.nanodollarsSaved), ("timed_lookups", \.timedLookups), ("lookup_us", \.lookupMicros),
    ]

    /// Adds `batch` (row → hour → counts) in one pipeline: HINCRBY per non-zero field and
    /// an EXPIRE per hash. Returns false when Redis did not take it (the caller keeps it).
    public func add(_ batch: TenantStats.Hours) async -> Bool {
        var commands: [[RedisArgument]] = []
        for (row, hours) in batch {
            for (hour, counts) in hours {
                let key = RedisArgument(Self.key(row: row, hour: hour))
                for field in Self.fields where counts[keyPath: field.value] != 0 {
                    commands.append(["HINCRBY", key, .string(field.name), RedisArgument(counts[keyPath: field.value])])
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

    /// The sum of `row`'s `hours`, read with one pipelined HGETALL per hour; nil when
    /// Redis did not answer. Cost: one round trip carrying up to 720 small replies.
    public func totals(row: String, hours: some Sequence<Int64>) async -> TenantStats.Counts? {
        let commands: [[RedisArgument]] = hours.map { ["HGETALL", .string(Self.key(row: row, hour: $0))] }
        guard !commands.isEmpty else { return TenantStats.Counts() }
        return await redis.attempt { client -> TenantStats.Counts? in
            var total = TenantStats.Counts()
            for reply in try await client.pipeline(commands) {
                guard case .array(let pairs) = reply else { return nil }
                var index = 0
                while index + 1 < pairs.count {
                    let value = pairs[index + 1].text.flatMap { Int64($0) } ?? 0
                    if let name = pairs[index].text, let field = Self.fields.first(where: { $0.name == name }) {
                        // Saturating, like every count: a hash edited by hand cannot trap us.
                        total.add(value, to: field.value)
                    }
                    index += 2
                }
            }
            return total
        }
    }
}
