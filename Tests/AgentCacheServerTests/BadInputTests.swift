import Foundation
import HTTPTypes
import Testing

/// Every rejected request answers the right status with SPEC §5's `{"error", "code"}` and
/// leaves the cache exactly as it was: entries, generations and hit/miss counters.
@Suite("Bad input")
struct BadInputTests {
    /// One bad body and why it is bad.
    struct BadBody: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        var testDescription: String { name }

        init(_ name: String, _ text: String) {
            self.name = name
            self.bytes = Array(text.utf8)
        }

        init(_ name: String, bytes: [UInt8]) {
            self.name = name
            self.bytes = bytes
        }
    }

    /// What a valid set of the seeded entry looks like after `"response"`; appended to bad bodies
    /// so that, were the set route to accept them, it would overwrite the seeded entry.
    static let tail = #""response":"changed","ttl":60"#
    static let messages = #"[{"role":"user","content":"What is 2+2?"}]"#

    /// Bodies that every cache route (get, set, check, explain, invalidate) must refuse with 400.
    static let commonCases: [BadBody] = [
        BadBody("malformed JSON: truncated object", #"{"provider":"openai","model":"gpt-4o","#),
        BadBody("malformed JSON: single quotes", #"{'provider':'openai','model':'gpt-4o'}"#),
        BadBody("malformed JSON: trailing comma", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),\#(tail),}"#),
        BadBody("malformed JSON: unquoted key", #"{provider:"openai","model":"gpt-4o","messages":\#(messages),\#(tail)}"#),
        BadBody("malformed JSON: garbage after the object", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),\#(tail)} x"#),
        BadBody("malformed JSON: two objects", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),\#(tail)}{}"#),
        BadBody("malformed JSON: NaN", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),"temperature":NaN,\#(tail)}"#),
        BadBody("malformed JSON: number with a leading zero", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),"temperature":01,\#(tail)}"#),
        BadBody("number beyond the exponent bound (1e10000)", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),"temperature":1e10000,\#(tail)}"#),
        BadBody("number with 1001 significant digits", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),"params":{"seed":1\#(String(repeating: "2", count: 1000))},\#(tail)}"#),
        BadBody("the same generation parameter at both levels with different values", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),"max_tokens":5,"params":{"max_tokens":4000},\#(tail)}"#),
        BadBody("stream is a string", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),"stream":"true",\#(tail)}"#),
        BadBody("cache is an array", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),"cache":[],\#(tail)}"#),
        BadBody("cache.refresh true (not supported yet)", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),"cache":{"refresh":true},\#(tail)}"#),
        BadBody("33 tags", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),"tags":[\#((0..<33).map { "\"t\($0)\"" }.joined(separator: ","))],\#(tail)}"#),
        BadBody("a tag of 129 bytes", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),"tags":["\#(String(repeating: "t", count: 129))"],\#(tail)}"#),
        BadBody("malformed JSON: raw control character in a string", "{\"provider\":\"open\u{01}ai\",\"model\":\"gpt-4o\",\"messages\":\(messages),\(tail)}"),
        BadBody("malformed JSON: invalid escape", #"{"provider":"open\qai","model":"gpt-4o","messages":\#(messages),\#(tail)}"#),
        BadBody("malformed JSON: lone UTF-16 surrogate escape", #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"\ud800"}],\#(tail)}"#),
        BadBody(
            "malformed JSON: invalid UTF-8 bytes",
            bytes: Array(#"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":""#.utf8) + [0xFF, 0xFE]
                + Array(#""}],"response":"changed","ttl":60}"#.utf8)
        ),
        BadBody("non-object body: array", #"[{"provider":"openai","model":"gpt-4o","messages":\#(messages)}]"#),
        BadBody("non-object body: string", #""openai""#),
        BadBody("non-object body: number", "42"),
        BadBody("non-object body: null", "null"),
        BadBody("non-object body: true", "true"),
        BadBody("missing provider", #"{"model":"gpt-4o","messages":\#(messages),\#(tail)}"#),
        BadBody("missing model", #"{"provider":"openai","messages":\#(messages),\#(tail)}"#),
        BadBody("missing messages", #"{"provider":"openai","model":"gpt-4o",\#(tail)}"#),
        BadBody("provider is a number", #"{"provider":1,"model":"gpt-4o","messages":\#(messages),\#(tail)}"#),
        BadBody("provider is null", #"{"provider":null,"model":"gpt-4o","messages":\#(messages),\#(tail)}"#),
        BadBody("provider is an empty string", #"{"provider":"","model":"gpt-4o","messages":\#(messages),\#(tail)}"#),
        BadBody("model is an array", #"{"provider":"openai","model":["gpt-4o"],"messages":\#(messages),\#(tail)}"#),
        BadBody("messages is a string", #"{"provider":"openai","model":"gpt-4o","messages":"What is 2+2?",\#(tail)}"#),
        BadBody("messages is an object", #"{"provider":"openai","model":"gpt-4o","messages":{"role":"user","content":"What is 2+2?"},\#(tail)}"#),
        BadBody("messages is an empty array", #"{"provider":"openai","model":"gpt-4o","messages":[],\#(tail)}"#),
        BadBody("a message is a string", #"{"provider":"openai","model":"gpt-4o","messages":["What is 2+2?"],\#(tail)}"#),
        BadBody("a message without role", #"{"provider":"openai","model":"gpt-4o","messages":[{"content":"What is 2+2?"}],\#(tail)}"#),
        BadBody("a message whose role is a number", #"{"provider":"openai","model":"gpt-4o","messages":[{"role":1,"content":"What is 2+2?"}],\#(tail)}"#),
        BadBody("a message whose content is a number", #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":4}],\#(tail)}"#),
        BadBody("a message whose content is an object", #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":{"text":"hi"}}],\#(tail)}"#),
        BadBody("temperature is a string", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),"temperature":"0.7",\#(tail)}"#),
        BadBody("temperature is a boolean", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),"temperature":true,\#(tail)}"#),
        BadBody("params is an array", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),"params":[1,2],\#(tail)}"#),
        BadBody("params is a string", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),"params":"max_tokens=5",\#(tail)}"#),
        BadBody("namespace is a number", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),"namespace":7,\#(tail)}"#),
        BadBody("namespace is an object", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),"namespace":{"name":"x"},\#(tail)}"#),
        BadBody("duplicate top-level key", #"{"provider":"openai","provider":"anthropic","model":"gpt-4o","messages":\#(messages),\#(tail)}"#),
        BadBody("duplicate key inside a message", #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","role":"system","content":"What is 2+2?"}],\#(tail)}"#),
        BadBody("duplicate key inside params", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),"params":{"seed":1,"seed":2},\#(tail)}"#),
        BadBody("JSON nested 33 levels deep", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),"params":{"x":\#(nested(31))},\#(tail)}"#),
        BadBody("JSON nested 10000 levels deep", #"{"provider":"openai","model":"gpt-4o","messages":\#(messages),"params":{"x":\#(nested(10_000))},\#(tail)}"#),
    ]

    /// `depth` nested arrays around `0`.
    static func nested(_ depth: Int) -> String {
        String(repeating: "[", count: depth) + "0" + String(repeating: "]", count: depth)
    }

    static let cacheRoutes = ["/api/cache/get", "/api/cache/set", "/api/cache/check", "/api/cache/explain", "/api/cache/invalidate"]

    @Test("a bad body is 400 INVALID_REQUEST with {error, code} and changes nothing", arguments: cacheRoutes, commonCases)
    func badBodyRejected(route: String, bad: BadBody) async throws {
        try await withTestServer { api in
            let seeded = try await Seed(api)
            let reply = try await api.post(route, bytes: bad.bytes)
            try expectError(reply, .badRequest, "INVALID_REQUEST")
            try await seeded.expectUnchanged(api)
        }
    }

    @Test("an empty body is 400 INVALID_REQUEST on get, set, check and explain", arguments: ["/api/cache/get", "/api/cache/set", "/api/cache/check", "/api/cache/explain"], ["", "   ", "\r\n"])
    func emptyBody(route: String, body: String) async throws {
        try await withTestServer { api in
            let seeded = try await Seed(api)
            let reply = try await api.post(route, body)
            try expectError(reply, .badRequest, "INVALID_REQUEST")
            try await seeded.expectUnchanged(api)
        }
    }

    /// Bodies only the set route refuses: a lookup ignores `response` and `ttl`.
    static let setCases: [BadBody] = [
        BadBody("response missing", Body.chat(#""ttl":60"#)),
        BadBody("ttl 0", Body.set(response: #""changed""#, #""ttl":0"#)),
        BadBody("ttl -5", Body.set(response: #""changed""#, #""ttl":-5"#)),
        BadBody("ttl \"abc\"", Body.set(response: #""changed""#, #""ttl":"abc""#)),
        BadBody("ttl \"60\" (a string)", Body.set(response: #""changed""#, #""ttl":"60""#)),
        BadBody("ttl true", Body.set(response: #""changed""#, #""ttl":true"#)),
        BadBody("ttl an array", Body.set(response: #""changed""#, #""ttl":[60]"#)),
        BadBody("ttl -0", Body.set(response: #""changed""#, #""ttl":-0"#)),
        BadBody("response nested 513 levels deep", Body.set(response: nested(513), #""ttl":60"#)),
        BadBody("response nested 100 000 levels deep", Body.set(response: nested(100_000), #""ttl":60"#)),
        BadBody("response opening 100 000 arrays and never closing them", Body.set(response: String(repeating: "[", count: 100_000), #""ttl":60"#)),
        BadBody("duplicate response key", Body.set(response: #""changed""#, #""response":"again""#)),
    ]

    @Test("set refuses a missing response or a bad ttl with 400 and keeps the old entry", arguments: setCases)
    func badSetRejected(bad: BadBody) async throws {
        try await withTestServer { api in
            let seeded = try await Seed(api)
            let reply = try await api.post("/api/cache/set", bytes: bad.bytes)
            try expectError(reply, .badRequest, "INVALID_REQUEST")
            try await seeded.expectUnchanged(api)
        }
    }

    @Test("a rejected set of a new request stores nothing")
    func rejectedSetStoresNothing() async throws {
        try await withTestServer { api in
            let reply = try await api.set(Body.set(response: #""x""#, #""ttl":0"#))
            try expectError(reply, .badRequest, "INVALID_REQUEST")
            #expect(try await api.edgeEntries() == 0)
            #expect(try await api.get(Body.chat()).xCache == "MISS")
        }
    }

    @Test("JSON nested exactly 32 levels deep is accepted")
    func thirtyTwoLevelsAccepted() async throws {
        try await withTestServer { api in
            // Top-level object (1) + params (2) + 30 arrays = 32 levels.
            let body = Body.set(response: "1", #""params":{"x":\#(Self.nested(30))}"#)
            let reply = try await api.set(body)
            #expect(reply.status == .ok, "\(reply.text)")
            let deepResponse = try await api.set(Body.set(content: "other", response: Self.nested(31)))
            #expect(deepResponse.status == .ok, "\(deepResponse.text)")
            let json = try await api.get(Body.chat(content: "other")).object()
            #expect(try canonicalJSON(json["response"]) == canonicalJSON(parseJSON(Self.nested(31))))
        }
    }

    @Test("a response nested 40 and 512 levels deep is stored and answered byte for byte", arguments: [40, 512])
    func deepResponseRoundTrips(depth: Int) async throws {
        try await withTestServer { api in
            let response = String(repeating: #"{"a":["#, count: depth / 2) + #"" \u00e9 ""# + String(repeating: "]}", count: depth / 2)
            let set = try await api.set(Body.set(response: response))
            #expect(set.status == .ok, "\(set.text)")
            for _ in 0..<2 {
                // The second get may be answered by the hit fast path.
                let hit = try await api.get(Body.chat())
                #expect(hit.xCache == "HIT-edge", "\(hit.text.prefix(200))")
                #expect(hit.text.hasPrefix(#"{"hit":true,"response":"# + response + #","tier":"edge","#), "\(hit.text.prefix(200))")
            }
        }
    }

    @Test("the 400 for depth says which limit was hit: 512 for a response, 32 for key material")
    func depthMessagesNameTheLimit() async throws {
        try await withTestServer { api in
            let response = try await api.set(Body.set(response: Self.nested(513)))
            try expectError(response, .badRequest, "INVALID_REQUEST")
            let responseMessage = try response.object()["error"] as? String ?? ""
            #expect(responseMessage.hasPrefix("response is nested deeper than 512 levels"), "\(responseMessage)")
            let key = try await api.get(Body.chat(#""params":{"x":\#(Self.nested(31))}"#))
            try expectError(key, .badRequest, "INVALID_REQUEST")
            let keyMessage = try key.object()["error"] as? String ?? ""
            #expect(keyMessage.hasPrefix(#""params" is nested too deeply: key material may nest 32 levels"#), "\(keyMessage)")
        }
    }

    // MARK: Body size

    static let smallLimit = 2048

    /// A valid set body of exactly `size` bytes (padding inside the response string).
    static func setBody(ofSize size: Int) -> String {
        let empty = Body.set(response: #""""#)
        return Body.set(response: "\"" + String(repeating: "x", count: size - empty.utf8.count) + "\"")
    }

    @Test("a body over maxBodyBytes is 413 PAYLOAD_TOO_LARGE on every cache route and stores nothing", arguments: cacheRoutes)
    func bodyTooLarge(route: String) async throws {
        try await withTestServer(configure: { $0.maxBodyBytes = Self.smallLimit }) { api in
            let body = Self.setBody(ofSize: 4096)
            #expect(body.utf8.count == 4096)
            let reply = try await api.post(route, body)
            try expectError(reply, .contentTooLarge, "PAYLOAD_TOO_LARGE")
            #expect(try await api.edgeEntries() == 0)
            #expect(try await api.get(Body.chat()).xCache == "MISS")
        }
    }

    @Test("a body of exactly maxBodyBytes is accepted and one byte more is refused")
    func bodyLimitBoundary() async throws {
        try await withTestServer(configure: { $0.maxBodyBytes = Self.smallLimit }) { api in
            let atLimit = Self.setBody(ofSize: Self.smallLimit)
            #expect(atLimit.utf8.count == Self.smallLimit)
            let accepted = try await api.set(atLimit)
            #expect(accepted.status == .ok, "\(accepted.text)")
            let stored = try await api.get(Body.chat()).object()
            let storedText = try #require(stored["response"] as? String)
            #expect(storedText.utf8.count == Self.smallLimit - Body.set(response: #""""#).utf8.count)

            let overLimit = Self.setBody(ofSize: Self.smallLimit + 1)
            let refused = try await api.set(overLimit.replacingOccurrences(of: "xxxx", with: "yyyy"))
            try expectError(refused, .contentTooLarge, "PAYLOAD_TOO_LARGE")
            let after = try await api.get(Body.chat()).object()
            #expect(after["response"] as? String == storedText)
        }
    }

    @Test("the server keeps answering on the same connection after a 413")
    func serverUsableAfter413() async throws {
        try await withTestServer(configure: { $0.maxBodyBytes = Self.smallLimit }) { api in
            for _ in 0..<3 {
                try expectError(try await api.set(Self.setBody(ofSize: 8192)), .contentTooLarge, "PAYLOAD_TOO_LARGE")
                let ok = try await api.set(Body.set(response: "1"))
                #expect(ok.status == .ok)
            }
        }
    }

    @Test("a chunked body over maxBodyBytes (no Content-Length) is 413 PAYLOAD_TOO_LARGE and stores nothing")
    func chunkedBodyTooLarge() async throws {
        try await withTestServer(configure: { $0.maxBodyBytes = Self.smallLimit }) { api in
            let body = Array(Self.setBody(ofSize: 4096).utf8)
            let reply = try await rawHTTPExchange(port: api.port, chunkedPost("/api/cache/set", body))
            #expect(reply.status == 413, "\(reply.headers)\n\(reply.body)")
            let json = try #require(try parseJSON(reply.body) as? [String: Any])
            #expect(json["code"] as? String == "PAYLOAD_TOO_LARGE")
            #expect((json["error"] as? String)?.isEmpty == false)
            #expect(try await api.edgeEntries() == 0)
        }
    }

    @Test("a chunked body under maxBodyBytes is read whole and stored")
    func chunkedBodyAccepted() async throws {
        try await withTestServer(configure: { $0.maxBodyBytes = Self.smallLimit }) { api in
            let body = Array(Self.setBody(ofSize: 1500).utf8)
            let reply = try await rawHTTPExchange(port: api.port, chunkedPost("/api/cache/set", body, chunkSize: 100))
            #expect(reply.status == 200, "\(reply.headers)\n\(reply.body)")
            let hit = try await api.get(Body.chat())
            #expect(hit.xCache == "HIT-edge")
        }
    }

    // MARK: Routes

    @Test("an unknown route is 404 NOT_FOUND as SPEC §5 JSON", arguments: [
        ("/nope", HTTPRequest.Method.get),
        ("/api/cache/unknown", .post),
        ("/api/cache", .post),
        ("/api/cache/get/extra", .post),
        ("/api/cachex/get", .post),
    ])
    func unknownRoute(path: String, method: HTTPRequest.Method) async throws {
        try await withTestServer { api in
            let reply: Reply
            if method == .post {
                reply = try await api.post(path, Body.chat())
            } else {
                reply = try await api.request(path, method: method)
            }
            try expectError(reply, .notFound, "NOT_FOUND")
        }
    }

    @Test("a cache route called with the wrong method answers a 4xx JSON error, not a cache answer", arguments: [
        ("/api/cache/get", HTTPRequest.Method.get),
        ("/api/cache/set", .put),
        ("/api/cache/invalidate", .delete),
        ("/health", .post),
    ])
    func wrongMethod(path: String, method: HTTPRequest.Method) async throws {
        try await withTestServer { api in
            let reply = try await api.request(path, method: method)
            #expect((400..<500).contains(reply.status.code), "\(reply.status) \(reply.text)")
            let json = try reply.object()
            #expect((json["error"] as? String)?.isEmpty == false)
            #expect(json["code"] is String)
        }
    }
}

/// A known entry stored before a bad request, and the state to compare against afterwards.
struct Seed {
    let key: String
    let hits: Double
    let misses: Double

    /// Stores `Body.chat()` -> "original" with ttl 60 and records the counters.
    init(_ api: APIClient) async throws {
        let set = try await api.set(Body.set(response: #""original""#, #""ttl":60"#))
        #expect(set.status == .ok)
        key = try #require(set.object()["key"] as? String)
        hits = try await api.edgeHits()
        misses = try await api.edgeMisses()
    }

    /// The seeded entry is still there with its value, TTL and key; nothing else was stored;
    /// no namespace was invalidated; the bad request counted neither a hit nor a miss.
    func expectUnchanged(_ api: APIClient, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        #expect(try await api.edgeHits() == hits, "a rejected request counted a hit", sourceLocation: sourceLocation)
        #expect(try await api.edgeMisses() == misses, "a rejected request counted a miss", sourceLocation: sourceLocation)
        #expect(try await api.edgeEntries() == 1, "a rejected request changed the edge entry count", sourceLocation: sourceLocation)
        let explained = try await api.explain(Body.chat()).object()
        #expect(explained["key"] as? String == key, "the namespace generation moved", sourceLocation: sourceLocation)
        let reply = try await api.get(Body.chat())
        #expect(reply.xCache == "HIT-edge", sourceLocation: sourceLocation)
        let json = try reply.object()
        #expect(json["response"] as? String == "original", "the seeded entry was overwritten", sourceLocation: sourceLocation)
        #expect(number(json["ttl_remaining"]) == 60, "the seeded entry's TTL changed", sourceLocation: sourceLocation)
        #expect(json["key"] as? String == key, sourceLocation: sourceLocation)
    }
}
