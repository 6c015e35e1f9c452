import Testing
@testable import AgentCacheCore

@Suite("ISO-8601 timestamps")
struct TimestampTests {
    @Test("epoch milliseconds render as ISO-8601 UTC with milliseconds", arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (1_700_000_000_123, "2023-11-14T22:13:20.123Z"),
        (1_709_164_800_000, "2024-02-29T00:00:00.000Z"),
        (1_798_761_599_999, "2026-12-31T23:59:59.999Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
    ])
    func rendersISO8601(millis: Int64, expected: String) {
        #expect(Timestamp.iso8601(millis: millis) == expected)
    }

    @Test("age and ttl_remaining are whole seconds, remaining rounded up")
    func entryLifetimes() {
        let entry = CacheEntry(value: StoredValue(encoding: []), createdAtMillis: 1000, expiresAtMillis: 11_000)
        #expect(entry.ageSeconds(at: 2_500) == 1)
        #expect(entry.ttlRemainingSeconds(at: 2_500) == 9)
        #expect(entry.ttlRemainingSeconds(at: 10_999) == 1)
        #expect(entry.ttlRemainingSeconds(at: 11_000) == 0)
        #expect(entry.isExpired(at: 11_000))
        #expect(!entry.isExpired(at: 10_999))
    }
}
