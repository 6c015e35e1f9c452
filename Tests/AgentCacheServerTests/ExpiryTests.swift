import AgentCacheCore
import Foundation
import Testing

/// Per-entry TTL (SPEC §1, §3) measured on the server's injected clock.
@Suite("TTL and expiry")
struct ExpiryTests {
    @Test("an entry set with ttl 10 is a miss, and check says cached false, 11 seconds later")
    func expiresAfterTTL() async throws {
        let clock = ManualClock(millis: testEpochMillis)
        try await withTestServer(clock: clock) { api in
            let set = try await api.set(Body.set(response: #""short-lived""#, #""ttl":10"#)).object()
            #expect(number(set["ttl"]) == 10)
            #expect(try await api.get(Body.chat()).xCache == "HIT-edge")

            clock.advance(by: 11_000)

            let get = try await api.get(Body.chat())
            #expect(get.status == .ok)
            #expect(get.xCache == "MISS")
            #expect(jsonBool(try get.object()["hit"]) == false)
            let check = try await api.check(Body.chat()).object()
            #expect(jsonBool(check["cached"]) == false)
            #expect(number(check["ttl_remaining"]) == 0)
        }
    }

    @Test("an entry is served until just before its expiry instant and not at it")
    func expiryBoundary() async throws {
        let clock = ManualClock(millis: testEpochMillis)
        try await withTestServer(clock: clock) { api in
            _ = try await api.set(Body.set(response: "1", #""ttl":10"#))
            clock.advance(by: 9_999)
            let nearlyDead = try await api.get(Body.chat())
            #expect(nearlyDead.xCache == "HIT-edge")
            #expect(number(try nearlyDead.object()["ttl_remaining"]) == 1)
            clock.advance(by: 1)
            #expect(try await api.get(Body.chat()).xCache == "MISS")
        }
    }

    @Test("set without ttl uses the default of 604800 seconds (7 days)")
    func defaultTTL() async throws {
        let clock = ManualClock(millis: testEpochMillis)
        try await withTestServer(clock: clock) { api in
            let set = try await api.set(Body.set(response: "1")).object()
            #expect(number(set["ttl"]) == 604_800)
            let hit = try await api.get(Body.chat()).object()
            #expect(number(hit["ttl_remaining"]) == 604_800)
            let check = try await api.check(Body.chat()).object()
            #expect(number(check["ttl_remaining"]) == 604_800)

            clock.advance(by: 604_799_000)
            #expect(try await api.get(Body.chat()).xCache == "HIT-edge")
            clock.advance(by: 1_000)
            #expect(try await api.get(Body.chat()).xCache == "MISS")
        }
    }

    @Test("ttl null is the same as no ttl: the default applies")
    func nullTTL() async throws {
        try await withTestServer { api in
            let set = try await api.set(Body.set(response: "1", #""ttl":null"#)).object()
            #expect(number(set["ttl"]) == 604_800)
        }
    }

    @Test("the default TTL follows the server configuration")
    func configuredDefaultTTL() async throws {
        try await withTestServer(configure: { $0.engine.defaultTTLSeconds = 120 }) { api in
            let set = try await api.set(Body.set(response: "1")).object()
            #expect(number(set["ttl"]) == 120)
            #expect(number(try await api.check(Body.chat()).object()["ttl_remaining"]) == 120)
        }
    }

    @Test("a fractional ttl is honoured to the millisecond")
    func fractionalTTL() async throws {
        let clock = ManualClock(millis: testEpochMillis)
        try await withTestServer(clock: clock) { api in
            let set = try await api.set(Body.set(response: "1", #""ttl":1.5"#)).object()
            #expect(number(set["ttl"]) == 1.5)
            clock.advance(by: 1_499)
            #expect(try await api.get(Body.chat()).xCache == "HIT-edge")
            clock.advance(by: 1)
            #expect(try await api.get(Body.chat()).xCache == "MISS")
        }
    }

    @Test("a ttl above the configured maximum is clamped, and set answers the ttl actually used")
    func ttlClamped() async throws {
        try await withTestServer(configure: { $0.engine.maxTTLSeconds = 3_600 }) { api in
            let set = try await api.set(Body.set(response: "1", #""ttl":1e12"#)).object()
            #expect(number(set["ttl"]) == 3_600)
            #expect(number(try await api.check(Body.chat()).object()["ttl_remaining"]) == 3_600)
        }
    }

    @Test("re-setting an entry restarts its lifetime")
    func resetRestartsTTL() async throws {
        let clock = ManualClock(millis: testEpochMillis)
        try await withTestServer(clock: clock) { api in
            _ = try await api.set(Body.set(response: #""v1""#, #""ttl":10"#))
            clock.advance(by: 8_000)
            let again = try await api.set(Body.set(response: #""v2""#, #""ttl":10"#)).object()
            #expect(again["cached_at"] as? String == "2023-11-14T22:13:28.000Z")
            clock.advance(by: 8_000)
            let hit = try await api.get(Body.chat()).object()
            #expect(hit["response"] as? String == "v2")
            #expect(number(hit["age"]) == 8)
            #expect(number(hit["ttl_remaining"]) == 2)
        }
    }

    @Test("an expired entry is not reported by /health once reclaimed, and never served before that")
    func expiredEntriesReclaimed() async throws {
        let clock = ManualClock(millis: testEpochMillis)
        try await withTestServer(clock: clock, configure: { $0.sweepInterval = .milliseconds(10) }) { api in
            _ = try await api.set(Body.set(response: "1", #""ttl":1"#))
            #expect(try await api.edgeEntries() == 1)
            clock.advance(by: 2_000)
            #expect(try await api.get(Body.chat()).xCache == "MISS")
            var entries = try await api.edgeEntries()
            for _ in 0..<200 where entries != 0 {
                try await Task.sleep(for: .milliseconds(10))
                entries = try await api.edgeEntries()
            }
            #expect(entries == 0)
        }
    }
}
