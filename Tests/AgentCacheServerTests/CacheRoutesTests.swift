import Foundation
import HTTPTypes
import Testing

/// get / set / check over real HTTP, with the shapes of SPEC §1.
@Suite("Cache routes: get, set, check")
struct CacheRoutesTests {
    @Test("get on an empty cache answers 200 {\"hit\": false} with X-Cache: MISS, never 404")
    func getMiss() async throws {
        try await withTestServer { api in
            let reply = try await api.get(Body.chat())
            #expect(reply.status == .ok)
            #expect(reply.xCache == "MISS")
            #expect(reply.headers[.contentType]?.hasPrefix("application/json") == true)
            let json = try reply.object()
            #expect(jsonBool(json["hit"]) == false)
            #expect(json["response"] == nil)
        }
    }

    @Test("set answers {success: true, key: 32 hex digits, cached_at: ISO-8601, ttl: n}")
    func setShape() async throws {
        try await withTestServer { api in
            let reply = try await api.set(Body.set(response: #"{"answer":"4"}"#, #""ttl":60"#))
            #expect(reply.status == .ok)
            let json = try reply.object()
            #expect(jsonBool(json["success"]) == true)
            #expect(isHexKey(json["key"]), "key: \(String(describing: json["key"]))")
            #expect(isISO8601(json["cached_at"]))
            #expect(json["cached_at"] as? String == testEpochISO)
            #expect(number(json["ttl"]) == 60)
        }
    }

    @Test("get after set returns every SPEC §1 hit field and X-Cache: HIT-edge")
    func getHitShape() async throws {
        try await withTestServer { api in
            let set = try await api.set(Body.set(response: #"{"answer":"4","usage":{"tokens":12}}"#, #""ttl":60"#)).object()
            let reply = try await api.get(Body.chat())
            #expect(reply.status == .ok)
            #expect(reply.xCache == "HIT-edge")
            #expect(reply.headers[.contentType]?.hasPrefix("application/json") == true)
            let json = try reply.object()
            #expect(jsonBool(json["hit"]) == true)
            #expect(try canonicalJSON(json["response"]) == canonicalJSON(parseJSON(#"{"answer":"4","usage":{"tokens":12}}"#)))
            #expect(json["tier"] as? String == "edge")
            #expect(isISO8601(json["cached_at"]))
            #expect(json["cached_at"] as? String == set["cached_at"] as? String)
            #expect(number(json["age"]) == 0)
            #expect(number(json["ttl_remaining"]) == 60)
            let latency = try #require(number(json["latency_ms"]), "latency_ms must be a number")
            #expect(latency >= 0 && latency < 10_000)
            #expect(isHexKey(json["key"]))
            #expect(json["key"] as? String == set["key"] as? String)
            #expect(Set(json.keys) == ["hit", "response", "tier", "cached_at", "age", "ttl_remaining", "latency_ms", "key"])
        }
    }

    /// Stored responses of every JSON kind, written as the client would send them.
    static let responses: [String] = [
        #"{"choices":[{"message":{"role":"assistant","content":"4"}}],"usage":{"prompt_tokens":9,"completion_tokens":1}}"#,
        #""a plain string answer""#,
        #"[1,"two",{"three":3},[4],null,true]"#,
        "42",
        "-3.25",
        "1e21",
        "0",
        "null",
        "true",
        "false",
        #""héllo wörld — 日本語 🌍 \u00e9 \"quoted\" \\ back\nslash""#,
        #"{"empty_object":{},"empty_array":[],"empty_string":""}"#,
        #"  {"spaced" :  [ 1 , 2 ] }  "#,
    ]

    @Test("get hit returns exactly the JSON value that was set, whatever its kind", arguments: responses)
    func responseRoundTrip(response: String) async throws {
        try await withTestServer { api in
            let set = try await api.set(Body.set(response: response))
            #expect(set.status == .ok, "set failed: \(set.text)")
            let reply = try await api.get(Body.chat())
            #expect(reply.xCache == "HIT-edge")
            let json = try reply.object()
            #expect(jsonBool(json["hit"]) == true)
            #expect(try canonicalJSON(json["response"]) == canonicalJSON(parseJSON(response)))
        }
    }

    @Test("a large compressible response round-trips unchanged")
    func largeResponseRoundTrip() async throws {
        try await withTestServer { api in
            let text = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 2000)
            let response = #"{"content":"\#(text)","n":[\#((0..<200).map(String.init).joined(separator: ","))]}"#
            let set = try await api.set(Body.set(response: response))
            #expect(set.status == .ok)
            let json = try await api.get(Body.chat()).object()
            #expect(jsonBool(json["hit"]) == true)
            #expect(try canonicalJSON(json["response"]) == canonicalJSON(parseJSON(response)))
        }
    }

    @Test("age grows and ttl_remaining shrinks as time passes")
    func ageAndRemaining() async throws {
        try await withTestServer { api in
            _ = try await api.set(Body.set(response: "1", #""ttl":60"#))
            api.clock.advance(by: 25_000)
            let json = try await api.get(Body.chat()).object()
            #expect(number(json["age"]) == 25)
            #expect(number(json["ttl_remaining"]) == 35)
            #expect(json["cached_at"] as? String == testEpochISO)
        }
    }

    @Test("a second set of the same request replaces the stored response")
    func setOverwrites() async throws {
        try await withTestServer { api in
            let first = try await api.set(Body.set(response: #""first""#)).object()
            let second = try await api.set(Body.set(response: #""second""#)).object()
            #expect(first["key"] as? String == second["key"] as? String)
            let json = try await api.get(Body.chat()).object()
            #expect(json["response"] as? String == "second")
        }
    }

    @Test("check answers {cached: true, ttl_remaining} for a stored entry and {cached: false} for an absent one")
    func checkShape() async throws {
        try await withTestServer { api in
            let absent = try await api.check(Body.chat())
            #expect(absent.status == .ok)
            let absentJSON = try absent.object()
            #expect(jsonBool(absentJSON["cached"]) == false)
            #expect(number(absentJSON["ttl_remaining"]) == 0)

            _ = try await api.set(Body.set(response: "1", #""ttl":120"#))
            api.clock.advance(by: 20_000)
            let present = try await api.check(Body.chat())
            #expect(present.status == .ok)
            let json = try present.object()
            #expect(jsonBool(json["cached"]) == true)
            #expect(number(json["ttl_remaining"]) == 100)
            #expect(Set(json.keys).isSuperset(of: ["cached", "ttl_remaining"]))
        }
    }

    @Test("check does not count as a hit (agentcache_cache_hits_total{tier=\"edge\"} unchanged) while get does")
    func checkIsNotAHit() async throws {
        try await withTestServer { api in
            _ = try await api.set(Body.set(response: "1"))
            let before = try await api.edgeHits()
            let missesBefore = try await api.edgeMisses()
            for _ in 0..<3 {
                let json = try await api.check(Body.chat()).object()
                #expect(jsonBool(json["cached"]) == true)
            }
            #expect(try await api.edgeHits() == before)
            #expect(try await api.edgeMisses() == missesBefore)
            _ = try await api.get(Body.chat())
            #expect(try await api.edgeHits() == before + 1)
        }
    }

    @Test("a get miss is counted in agentcache_cache_misses_total{tier=\"edge\"}")
    func missIsCounted() async throws {
        try await withTestServer { api in
            let before = try await api.edgeMisses()
            _ = try await api.get(Body.chat())
            #expect(try await api.edgeMisses() == before + 1)
        }
    }

    @Test("set is not a lookup: it does not count as a hit or a miss")
    func setIsNotALookup() async throws {
        try await withTestServer { api in
            _ = try await api.set(Body.set(response: "1"))
            #expect(try await api.edgeHits() == 0)
            #expect(try await api.edgeMisses() == 0)
        }
    }

    @Test("get with control members still finds the entry; any other extra member is a generation parameter and misses (SPEC §1)")
    func extraMembersAreKeyMaterial() async throws {
        try await withTestServer { api in
            _ = try await api.set(Body.set(response: "1"))
            let controls = try await api.get(Body.chat(#""stream":false,"cache":{"tokens":10},"tags":["a"],"ttl":5,"response":null"#)).object()
            #expect(jsonBool(controls["hit"]) == true)
            let other = try await api.get(Body.chat(#""stream":false,"metadata":{"trace":"abc"}"#)).object()
            #expect(jsonBool(other["hit"]) == false)
        }
    }

    @Test("messages with content as an array of parts are accepted and cached")
    func contentParts() async throws {
        try await withTestServer { api in
            let body = #"{"provider":"anthropic","model":"claude-3","messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]"#
            let set = try await api.set(body + #","response":"ok"}"#)
            #expect(set.status == .ok, "\(set.text)")
            let json = try await api.get(body + "}").object()
            #expect(jsonBool(json["hit"]) == true)
            #expect(json["response"] as? String == "ok")
        }
    }

    @Test("the response Content-Type is application/json on every cache route")
    func contentTypes() async throws {
        try await withTestServer { api in
            for reply in [
                try await api.set(Body.set(response: "1")),
                try await api.get(Body.chat()),
                try await api.check(Body.chat()),
                try await api.explain(Body.chat()),
                try await api.invalidate(#"{"namespace":"x"}"#),
            ] {
                #expect(reply.status == .ok)
                #expect(reply.headers[.contentType]?.hasPrefix("application/json") == true)
            }
        }
    }
}
