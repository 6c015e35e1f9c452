import AgentCacheRedis
import AgentCacheServer
import AgentCacheTestSupport
import Foundation
import HTTPTypes
import Testing

/// The fast path (`FastPathHandler`): the cache routes served on the event loop run the same
/// `BufferedRoute` code as the router, so their answers are indistinguishable; everything it
/// does not take reaches the router untouched.
@Suite("Fast path")
struct FastPathTests {
    static let answer = #"{"answer":4,"note":"ünïcode ✓"}"#

    /// Answers served by the fast path so far.
    static func fastAnswers(_ api: APIClient) async throws -> Double {
        try await api.metrics().value(of: "agentcache_fast_path_answers_total", labels: [:]) ?? 0
    }

    /// A hit's body without `latency_ms`, the one member that differs between two answers.
    static func stable(_ reply: Reply) throws -> NSDictionary {
        var object = try reply.object()
        object["latency_ms"] = nil
        return object as NSDictionary
    }

    @Test("an edge hit answered on the event loop has the router's status, headers and body")
    func sameAnswerAsTheRouter() async throws {
        let viaRouter = try await withTestServer(configure: { $0.hitFastPath = false }) { api in
            #expect(try await api.set(Body.set(response: Self.answer)).status == .ok)
            let hit = try await api.get(Body.chat())
            #expect(try await Self.fastAnswers(api) == 0)
            return hit
        }
        let viaFastPath = try await withTestServer { api in
            #expect(try await api.set(Body.set(response: Self.answer)).status == .ok)
            let hit = try await api.get(Body.chat())
            // The set and the get.
            #expect(try await Self.fastAnswers(api) == 2)
            #expect(try await api.edgeHits() == 1)
            return hit
        }
        #expect(viaFastPath.status == .ok && viaRouter.status == .ok)
        #expect(try Self.stable(viaFastPath) == Self.stable(viaRouter))
        // Content-Length differs with the digits of latency_ms.
        for name in ["Content-Type", "X-Cache", "Server"] {
            let field = HTTPField.Name(name)!
            #expect(viaFastPath.headers[field] == viaRouter.headers[field], "\(name)")
        }
        #expect(viaFastPath.headers[.date] != nil)
        #expect(viaFastPath.xCache == "HIT-edge")
    }

    @Test("misses, bad bodies and every cache route are served on the event loop; a request asking to close is answered, then the connection closes")
    func cacheRoutesOnTheEventLoop() async throws {
        try await withTestServer { api in
            let miss = try await api.get(Body.chat())
            #expect(miss.status == .ok && miss.xCache == "MISS")
            try expectError(try await api.get("{not json"), .badRequest, "INVALID_REQUEST")
            #expect(try await api.check(Body.chat()).status == .ok)
            #expect(try await Self.fastAnswers(api) == 3)
            #expect(try await api.edgeMisses() == 1)

            // A hit asking to close the connection: answered here too, then closed.
            #expect(try await api.set(Body.set(response: Self.answer)).status == .ok)
            let connection = try RawHTTPConnection(port: api.port)
            try connection.send(RawHTTPConnection.post("/api/cache/get", Body.chat(), headers: ["Connection: close"]))
            let answer = try #require(try await connection.receive(1).first)
            #expect(answer.headers["x-cache"] == "HIT-edge")
            #expect(answer.headers["connection"] == "close")
            #expect(try await connection.receiveUntilClose().isEmpty)
            #expect(try await Self.fastAnswers(api) == 5)
        }
    }

    @Test("pipelined requests are answered in order, whichever path answers each")
    func pipelinedAnswersStayInOrder() async throws {
        try await withTestServer { api in
            let connection = try RawHTTPConnection(port: api.port)
            // A set (router) with two gets behind it in one write: the gets wait their turn.
            try connection.send(
                RawHTTPConnection.post("/api/cache/set", Body.set(response: Self.answer))
                    + RawHTTPConnection.post("/api/cache/get", Body.chat())
                    + RawHTTPConnection.post("/api/cache/get", Body.chat(content: "never stored"))
            )
            let first = try await connection.receive(3)
            #expect(first.map(\.status) == [200, 200, 200])
            #expect(first[0].body.contains(#""success":true"#))
            #expect(first[1].body.contains(#""hit":true"#))
            #expect(first[2].body.contains(#""hit":false"#))

            // Hits and a miss interleaved: the hits are fast, the miss goes round the router,
            // and the hit after it still comes back after it.
            try connection.send(
                RawHTTPConnection.post("/api/cache/get", Body.chat())
                    + RawHTTPConnection.post("/api/cache/get", Body.chat(content: "never stored"))
                    + RawHTTPConnection.post("/api/cache/get", Body.chat())
            )
            let second = try await connection.receive(3)
            #expect(second.map { $0.headers["x-cache"] } == ["HIT-edge", "MISS", "HIT-edge"])
            #expect(try await Self.fastAnswers(api) >= 1)
            #expect(try await api.edgeHits() == 3)
        }
    }

    @Test("a repeated request follows invalidations and a new set (the lookup memo never serves a stale generation)")
    func repeatedRequestFollowsInvalidation() async throws {
        try await withTestServer { api in
            #expect(try await api.set(Body.set(response: Self.answer, #""namespace":"n""#)).status == .ok)
            #expect(try await api.get(Body.chat(#""namespace":"n""#)).xCache == "HIT-edge")
            #expect(try await api.get(Body.chat(#""namespace":"n""#)).xCache == "HIT-edge")
            #expect(try await api.invalidate(#"{"namespace":"n"}"#).status == .ok)
            #expect(try await api.get(Body.chat(#""namespace":"n""#)).xCache == "MISS")
            #expect(try await api.set(Body.set(response: #"{"answer":5}"#, #""namespace":"n""#)).status == .ok)
            let fresh = try await api.get(Body.chat(#""namespace":"n""#))
            #expect(fresh.xCache == "HIT-edge")
            #expect(fresh.text.contains(#""answer":5"#))
            #expect(try await Self.fastAnswers(api) == 7)
        }
    }

    @Test("a body sent in several packets is collected before the hit is answered")
    func splitBodyIsCollected() async throws {
        try await withTestServer { api in
            #expect(try await api.set(Body.set(response: Self.answer)).status == .ok)
            let connection = try RawHTTPConnection(port: api.port)
            let request = RawHTTPConnection.post("/api/cache/get", Body.chat())
            let cut = request.index(request.endIndex, offsetBy: -10)
            try connection.send(String(request[..<cut]))
            try await Task.sleep(for: .milliseconds(50))
            try connection.send(String(request[cut...]))
            let answers = try await connection.receive(1)
            #expect(answers.first?.headers["x-cache"] == "HIT-edge")
            #expect(try await Self.fastAnswers(api) == 2)
        }
    }

    @Test("with API keys, fast hits are rate limited, counted in usage and carry X-RateLimit headers")
    func keyedHitsAreAdmittedLikeTheRouter() async throws {
        try await withAuthServer { api in
            let key = try await api.provisionKey(tier: "free")
            #expect(try await api.set(Body.set(response: Self.answer), headers: keyHeaders(key)).status == .ok)
            var ok = 0
            var refused = 0
            let start = ContinuousClock.now
            for _ in 0..<15 {
                let reply = try await api.get(Body.chat(), headers: keyHeaders(key))
                #expect(reply.headers[HTTPField.Name("X-RateLimit-Limit")!] == "10")
                if reply.status == .ok {
                    #expect(reply.xCache == "HIT-edge")
                    ok += 1
                } else {
                    try expectError(reply, .tooManyRequests, "RATE_LIMIT_EXCEEDED")
                    #expect(reply.headers[.retryAfter] != nil)
                    refused += 1
                }
            }
            let took = ContinuousClock.now - start
            let seconds = Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
            // A bucket of 10 (one taken by the set) refilling at 10/s, however slow the machine.
            #expect(Double(ok) <= 9 + 10 * seconds + 1, "\(ok) admitted, \(refused) refused in \(took)")
            #expect(try await Self.fastAnswers(api) == 16)
            let usage = try #require(try await api.keyInfo(key)["usage"] as? [String: Any])
            #expect(usage["requests"] as? Int == 1 + ok)
        }
    }

    @Test("with Redis and API keys, edge hits are answered on the event loop from the key's reserved allowance")
    func redisModeHitsUseTheFastPath() async throws {
        try await withRedisServer { redis in
            let url = redis.url
            try await withAuthServer(configure: { $0.redis = RedisClientConfiguration(url: url) }) { api in
                let key = try await api.provisionKey(tier: "enterprise")
                #expect(try await api.set(Body.set(response: Self.answer), headers: keyHeaders(key)).status == .ok)
                for _ in 0..<20 {
                    let reply = try await api.get(Body.chat(), headers: keyHeaders(key))
                    #expect(reply.xCache == "HIT-edge")
                    #expect(reply.headers[HTTPField.Name("X-RateLimit-Limit")!] == "500")
                }
                // 500 req/s reserves 25 at a time: most hits never wait for Redis.
                #expect(try await Self.fastAnswers(api) >= 10)
                let usage = try #require(try await api.keyInfo(key)["usage"] as? [String: Any])
                #expect(usage["requests"] as? Int == 21)
            }
        }
    }

    @Test("with Redis, an edge miss is looked up in Redis without the router, in order with what follows")
    func redisTierLookupsStayInOrder() async throws {
        try await withRedisServer { redis in
            let url = redis.url
            // Node A stores; node B (same Redis, empty edge) finds it in Redis.
            try await withTestServer(configure: { $0.redis = RedisClientConfiguration(url: url) }) { nodeA async throws in
                let stored = try await nodeA.set(Body.set(response: Self.answer))
                #expect(stored.status == .ok)
            }
            try await withTestServer(configure: { $0.redis = RedisClientConfiguration(url: url) }) { api in
                // The first lookup of a namespace reads its generation from Redis (a suspension).
                #expect(try await api.get(Body.chat(content: "warm up")).xCache == "MISS")
                #expect(try await Self.fastAnswers(api) == 1)
                let connection = try RawHTTPConnection(port: api.port)
                // A Redis-tier hit, a miss everywhere and then the promoted edge hit, in one write.
                try connection.send(
                    RawHTTPConnection.post("/api/cache/get", Body.chat())
                        + RawHTTPConnection.post("/api/cache/get", Body.chat(content: "never stored"))
                        + RawHTTPConnection.post("/api/cache/get", Body.chat())
                )
                let answers = try await connection.receive(3)
                #expect(answers.map { $0.headers["x-cache"] } == ["HIT-redis", "MISS", "HIT-edge"])
                #expect(answers[0].body.contains(#""tier":"redis""#))
                #expect(try await Self.fastAnswers(api) == 4)
                let metrics = try await api.metrics()
                #expect(metrics.value(of: "agentcache_cache_hits_total", labels: ["tier": "redis"]) == 1)
                #expect(metrics.value(of: "agentcache_cache_misses_total", labels: ["tier": "redis"]) == 2)
                #expect(metrics.value(of: "agentcache_cache_misses_total", labels: ["tier": "edge"]) == 3)
                #expect(metrics.value(of: "agentcache_cache_hits_total", labels: ["tier": "edge"]) == 1)
            }
        }
    }

    @Test("a key revoked after its hits were served fast is refused at once")
    func revokedKeyIsRefused() async throws {
        try await withAuthServer { api in
            let key = try await api.provisionKey()
            #expect(try await api.set(Body.set(response: Self.answer), headers: keyHeaders(key)).status == .ok)
            #expect(try await api.get(Body.chat(), headers: keyHeaders(key)).xCache == "HIT-edge")
            #expect(try await api.post("/api/provision/\(key)/revoke", "", headers: adminHeaders).status == .ok)
            try expectError(try await api.get(Body.chat(), headers: keyHeaders(key)), .unauthorized, "INVALID_API_KEY")
            try expectError(try await api.get(Body.chat()), .unauthorized, "API_KEY_REQUIRED")
        }
    }
}
