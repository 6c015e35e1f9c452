import AgentCacheCore
import HTTPTypes
import NIOCore

/// The body and `X-Cache` value of a `get` answer (SPEC §1), shared by the route and the hit
/// fast path so both write the same bytes. One buffer allocation sized to the value.
enum LookupResponse {
    /// `{"hit":true,"response":<value>,"tier",...}` for `hit` under `key`; `latencyNanos` is
    /// the time since the request began (`elapsedNanos(since:)`), for `latency_ms`.
    static func hitBody(_ hit: CacheEngine.Hit, key: CacheKey, nowMillis: Int64, latencyNanos: UInt64, allocator: ByteBufferAllocator) -> ByteBuffer {
        var writer = JSONObjectWriter(allocator: allocator, capacity: hit.value.count + 256)
        writer.field("hit", true)
        writer.field("response", rawJSON: hit.value)
        writer.field("tier", ascii: hit.tier.rawValue)
        writer.field("cached_at", ascii: Timestamp.iso8601(millis: hit.entry.createdAtMillis))
        writer.field("age", hit.entry.ageSeconds(at: nowMillis))
        writer.field("ttl_remaining", hit.entry.ttlRemainingSeconds(at: nowMillis))
        writer.field("latency_ms", number: (Double(latencyNanos) / 1000).rounded() / 1000)
        writer.field("key", ascii: key.hex)
        return writer.finish()
    }

    /// `{"hit":false,"key":...}`.
    static func missBody(key: CacheKey, allocator: ByteBufferAllocator) -> ByteBuffer {
        var writer = JSONObjectWriter(allocator: allocator, capacity: 64)
        writer.field("hit", false)
        writer.field("key", ascii: key.hex)
        return writer.finish()
    }

    /// `X-Cache` of a hit at `tier`: `HIT-edge`, `HIT-redis`, ...
    static func xCache(_ tier: TierName) -> String {
        switch tier {
        case .edge: "HIT-edge"
        case .redis: "HIT-redis"
        case .origin: "HIT-origin"
        }
    }

    /// Nanoseconds since `startedNanos` (`NIODeadline` uptime, when the request began).
    static func elapsedNanos(since startedNanos: UInt64) -> UInt64 {
        NIODeadline.now().uptimeNanoseconds &- startedNanos
    }
}
