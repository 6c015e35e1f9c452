import AgentCacheAuth
import AgentCacheCore
import AgentCacheServer
import Foundation
import HTTPTypes
import Testing

/// Tier limits (SPEC §5) through the real HTTP stack: rate, quota, TTL cap, namespace count.
@Suite("API keys: tier limits")
struct AuthLimitsTests {
    @Test("a free key bursting 40 requests gets 429 RATE_LIMIT_EXCEEDED with Retry-After; the admitted rate never exceeds 10/s by more than 10 %")
    func freeTierRateLimit() async throws {
        try await withAuthServer { api in
            let key = try await api.provisionKey(tier: "free")
            let headers = keyHeaders(key)
            // The burst: 40 requests at once, a bucket of 10; then one at a time until one is
            // refused (the bucket refills at 10/s, so a loaded machine may need more).
            let start = ContinuousClock.now
            var burst = try await withThrowingTaskGroup(of: Reply.self) { group in
                for _ in 0..<40 { group.addTask { try await api.check(Body.chat(), headers: headers) } }
                return try await group.reduce(into: [Reply]()) { $0.append($1) }
            }
            while !burst.contains(where: { $0.status == .tooManyRequests }), burst.count < 1_000 {
                burst.append(try await api.check(Body.chat(), headers: headers))
            }
            let refused = burst.filter { $0.status == .tooManyRequests }
            // No more than 10 + 10/s × (time the burst took) may get through.
            let burstTook = ContinuousClock.now - start
            let burstSeconds = Double(burstTook.components.seconds) + Double(burstTook.components.attoseconds) / 1e18
            #expect(refused.count >= 1)
            #expect(Double(burst.count - refused.count) <= 10 + 11 * burstSeconds + 1, "admitted \(burst.count - refused.count) of \(burst.count) in \(burstTook)")
            let sample = try #require(refused.first)
            try expectError(sample, .tooManyRequests, "RATE_LIMIT_EXCEEDED")
            let retryAfter = try #require(sample.headers[.retryAfter].flatMap { Int($0) })
            #expect(retryAfter >= 1)
            #expect(sample.headers[HTTPField.Name("X-RateLimit-Limit")!] == "10")
            #expect(sample.headers[HTTPField.Name("X-RateLimit-Remaining")!] == "0")

            // Sustained: eight clients keep driving it until ~3 s after the burst began. A GCRA
            // admits at most burst + rate × T over any window T, and exactly that when it is kept
            // saturated; T is measured by the client from the first request sent to the last
            // answer received, which contains every decision the server made.
            let sustained = try await withThrowingTaskGroup(of: (admitted: Int, refused: Int).self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var admitted = 0
                        var refused = 0
                        while ContinuousClock.now - start < .seconds(3) {
                            let reply = try await api.check(Body.chat(), headers: headers)
                            if reply.status == .ok { admitted += 1 } else if reply.status == .tooManyRequests { refused += 1 }
                        }
                        return (admitted, refused)
                    }
                }
                return try await group.reduce(into: (admitted: 0, refused: 0)) { $0.admitted += $1.admitted; $0.refused += $1.refused }
            }
            let window = ContinuousClock.now - start
            let elapsed = Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18
            let admitted = 40 - refused.count + sustained.admitted
            let rate = Double(admitted - 10) / elapsed
            print("free tier: \(admitted) admitted (burst 10) in \(elapsed) s = \(rate)/s after the burst (limit 10/s); \(sustained.refused) refused while sustained")
            // Whether the sustained phase saw refusals depends on how fast this machine lets the
            // clients offer requests (a loaded CI box may offer fewer than 10/s), so it is not asserted.
            // Refusals are counted on /metrics, without tenant labels.
            #expect(try await api.metrics().value(of: "agentcache_rate_limited_total", labels: [:]) ?? 0 >= Double(refused.count + sustained.refused))
            // Never above the limit (+10 %), however fast the clients are.
            #expect(rate <= 11, "\(admitted) admitted in \(elapsed) s = \(rate)/s")
            // The lower bound depends on how fast this machine lets the clients offer requests while
            // other tests run, so it is not asserted here: the exact admitted rate (burst + rate × T,
            // within 10 %) is pinned with simulated time in GCRALimiterTests.freeTierBurstThenRate.
        }
    }

    @Test("a --tier-limit override is what provisioning reports and admission enforces")
    func tierLimitOverride() async throws {
        try await withAuthServer(configure: { try! $0.plans.apply("free:rps=2,monthly=5000") }) { api in
            let reply = try await api.post("/api/provision", #"{"user_id":"u1","integration":"acme","project_id":"p1","tier":"free"}"#, headers: adminHeaders)
            let key = try #require(try reply.object()["api_key"] as? String)
            #expect(try reply.object()["rate_limit"] as? Int == 5000)
            let start = ContinuousClock.now
            let answers = try await withThrowingTaskGroup(of: Reply.self) { group in
                for _ in 0..<8 { group.addTask { try await api.check(Body.chat(), headers: keyHeaders(key)) } }
                return try await group.reduce(into: [Reply]()) { $0.append($1) }
            }
            let took = ContinuousClock.now - start
            let seconds = Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
            for answer in answers { #expect(answer.headers[HTTPField.Name("X-RateLimit-Limit")!] == "2") }
            // A bucket of 2 refilling at 2/s, however slowly this machine sent the 8.
            let admitted = answers.filter { $0.status == .ok }.count
            #expect(Double(admitted) <= 2 + 2 * seconds + 1, "\(admitted) of 8 in \(took)")
        }
    }

    @Test("the monthly quota answers 429 QUOTA_EXCEEDED once used up")
    func quota() async throws {
        let clock = ManualClock(millis: testEpochMillis)
        try await withAuthServer(clock: clock) { api in
            let key = try await api.provisionKey(tier: "free")
            let month = KeyAuthority.month(of: clock.nowMillis())
            _ = try await api.authority.store.addUsage(account: APIKey.digest(of: key), month: month, delta: 9_999)
            #expect(try await api.get(Body.chat(), headers: keyHeaders(key)).status == .ok)
            let refused = try await api.get(Body.chat(), headers: keyHeaders(key))
            try expectError(refused, .tooManyRequests, "QUOTA_EXCEEDED")
            #expect(refused.headers[HTTPField.Name("X-RateLimit-Limit")!] == "10")
            let usage = try #require(try await api.keyInfo(key)["usage"] as? [String: Any])
            #expect(usage["requests"] as? Int == 10_000)
            #expect(usage["remaining"] as? Int == 0)
        }
    }

    @Test("a TTL above the tier's maximum is clamped and the answer says the TTL used")
    func ttlClamp() async throws {
        try await withAuthServer { api in
            let free = try await api.provisionKey(project: "f", tier: "free")
            let asked = Body.set(response: "1", #""ttl":2592000"#)
            #expect(try await api.set(asked, headers: keyHeaders(free)).object()["ttl"] as? Int == 604_800)
            let pro = try await api.provisionKey(project: "p", tier: "pro")
            let long = Body.set(response: "1", #""ttl":31536000"#)
            #expect(try await api.set(long, headers: keyHeaders(pro)).object()["ttl"] as? Int == 7_776_000)
            let enterprise = try await api.provisionKey(project: "e", tier: "enterprise")
            #expect(try await api.set(asked, headers: keyHeaders(enterprise)).object()["ttl"] as? Int == 2_592_000)
        }
    }

    @Test("a free key may use one namespace; a second is 403 INSUFFICIENT_PERMISSIONS naming the limit")
    func namespaceLimit() async throws {
        try await withAuthServer { api in
            let key = try await api.provisionKey(tier: "free")
            #expect(try await api.set(Body.set(response: "1", #""namespace":"one""#), headers: keyHeaders(key)).status == .ok)
            #expect(try await api.get(Body.chat(#""namespace":"one""#), headers: keyHeaders(key)).status == .ok)
            let second = try await api.get(Body.chat(#""namespace":"two""#), headers: keyHeaders(key))
            try expectError(second, .forbidden, "INSUFFICIENT_PERMISSIONS")
            #expect((try second.object()["error"] as? String)?.contains("allows 1 namespace per key") == true)
        }
    }

    @Test("an enterprise key (no namespace limit) using 150 fresh namespaces: all admitted, 100 remembered in keys.json, key info lists 100 and says it is truncated")
    func unlimitedNamespacesStayBounded() async throws {
        let directory = temporaryDataDirectory()
        try await withAuthServer(dataDirectory: directory) { api in
            let key = try await api.provisionKey(tier: "enterprise")
            for index in 0..<150 {
                #expect(try await api.get(Body.chat(), headers: keyHeaders(key, namespace: "ns\(index)")).status == .ok)
            }
            let usage = try #require(try await api.keyInfo(key)["usage"] as? [String: Any])
            #expect(usage["namespaces_used"] as? Int == 100)
            #expect((usage["namespaces"] as? [String])?.count == 100)
            #expect(jsonBool(usage["namespaces_truncated"]) == true)
            await api.parts.auth?.ledger.flush()
            let file = try String(contentsOfFile: directory + "/keys.json", encoding: .utf8)
            #expect(file.components(separatedBy: "\"ns").count - 1 == 100)
        }
    }

    @Test("a pro key's namespaces are listed in full by key info, never more than its limit of 10")
    func limitedNamespacesListed() async throws {
        try await withAuthServer { api in
            let key = try await api.provisionKey(tier: "pro")
            for index in 0..<12 {
                let status = try await api.get(Body.chat(), headers: keyHeaders(key, namespace: "ns\(index)")).status
                #expect(status == (index < 10 ? .ok : .forbidden))
            }
            let usage = try #require(try await api.keyInfo(key)["usage"] as? [String: Any])
            #expect(usage["namespaces_used"] as? Int == 10)
            #expect(usage["namespaces"] as? [String] == (0..<10).map { "ns\($0)" }.sorted())
            #expect(jsonBool(usage["namespaces_truncated"]) == false)
        }
    }
}
