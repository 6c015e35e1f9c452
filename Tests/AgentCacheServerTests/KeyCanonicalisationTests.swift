import Foundation
import Testing

/// SPEC §2 canonical keys, seen from the outside: what must and must not share an entry.
@Suite("Key canonicalisation through HTTP")
struct KeyCanonicalisationTests {
    /// The request every test stores first.
    static let stored =
        #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#

    struct Variant: Sendable, CustomTestStringConvertible {
        let name: String
        let body: String
        var testDescription: String { name }
    }

    /// The same request spelled differently: each must hit the stored entry.
    static let sameRequest: [Variant] = [
        Variant(name: "identical bytes", body: stored),
        Variant(
            name: "top-level members reordered",
            body: #"{"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]},"temperature":1,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"model":"gpt-4o","provider":"openai"}"#
        ),
        Variant(
            name: "message members reordered",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"content":"Be brief.","role":"system"},{"content":"What is 2+2?","role":"user"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "params members reordered",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"stop":["\n"],"top_p":0.9,"max_tokens":100}}"#
        ),
        Variant(
            name: "extra whitespace and newlines everywhere",
            body: "\n { \"provider\" : \"openai\" ,\r\n \"model\":\t\"gpt-4o\", \"messages\" : [ { \"role\" : \"system\" , \"content\" : \"Be brief.\" } ,\n { \"role\":\"user\",\"content\":\"What is 2+2?\" } ] , \"temperature\" : 1 , \"params\" : { \"max_tokens\" : 100 , \"top_p\" : 0.9 , \"stop\" : [ \"\\n\" ] } }  \n"
        ),
        Variant(
            name: "temperature 1.0 instead of 1",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1.0,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "temperature 1e0 and max_tokens 1.00e2",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1e0,"params":{"max_tokens":1.00e2,"top_p":0.90,"stop":["\n"]}}"#
        ),
        Variant(
            name: "string escapes spelling the same characters (\\u0042 for B, \\u000a for newline)",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"\u0042e brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\u000a"]}}"#
        ),
    ]

    @Test("the same request with reordered members, other whitespace or another number spelling hits the same entry", arguments: sameRequest)
    func sameEntry(variant: Variant) async throws {
        try await withTestServer { api in
            let set = try await api.set(String(Self.stored.dropLast()) + #","response":"stored"}"#).object()
            let reply = try await api.get(variant.body)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.xCache == "HIT-edge")
            let json = try reply.object()
            #expect(jsonBool(json["hit"]) == true)
            #expect(json["response"] as? String == "stored")
            #expect(json["key"] as? String == set["key"] as? String)
        }
    }

    /// Requests that differ in a value: each must miss.
    static let differentRequest: [Variant] = [
        Variant(
            name: "different temperature (0.7)",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":0.7,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "temperature absent",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "different params value (max_tokens 101)",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":101,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "an extra param (seed)",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"],"seed":7}}"#
        ),
        Variant(
            name: "params absent",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1}"#
        ),
        Variant(
            name: "different message content",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+3?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "message content differing only by a trailing space",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2? "}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "message content differing only in case",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "different role",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"developer","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "messages in another order",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"What is 2+2?"},{"role":"system","content":"Be brief."}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "a message dropped",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "an extra member in a message (name)",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?","name":"bob"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "different model",
            body: #"{"provider":"openai","model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "different provider",
            body: #"{"provider":"azure","model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "content as an array of parts instead of the same string",
            body: #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"system","content":[{"type":"text","text":"Be brief."}]},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
        Variant(
            name: "a value moved between fields (provider+model boundary)",
            body: #"{"provider":"openaig","model":"pt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"temperature":1,"params":{"max_tokens":100,"top_p":0.9,"stop":["\n"]}}"#
        ),
    ]

    @Test("a request that differs in any value misses", arguments: differentRequest)
    func differentEntry(variant: Variant) async throws {
        try await withTestServer { api in
            let set = try await api.set(String(Self.stored.dropLast()) + #","response":"stored"}"#).object()
            let reply = try await api.get(variant.body)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.xCache == "MISS")
            let json = try reply.object()
            #expect(jsonBool(json["hit"]) == false)
            #expect(json["key"] == nil || json["key"] as? String != set["key"] as? String)
        }
    }

    @Test("precomposed and decomposed é are different keys, each finding its own entry")
    func unicodeNormalFormsDiffer() async throws {
        try await withTestServer { api in
            let precomposed = Body.chat(content: "caf\u{E9}")
            let decomposed = Body.chat(content: "cafe\u{301}")
            _ = try await api.set(Body.set(content: "caf\u{E9}", response: #""pre""#))
            _ = try await api.set(Body.set(content: "cafe\u{301}", response: #""de""#))
            #expect(try await api.get(precomposed).object()["response"] as? String == "pre")
            #expect(try await api.get(decomposed).object()["response"] as? String == "de")
        }
    }

    // MARK: Issue 11: nothing a request says is dropped before hashing

    /// A body with `messages` `hi` and `extra` members.
    static func hi(_ extra: String) -> String {
        #"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"hi"}]"# + (extra.isEmpty ? "" : "," + extra) + "}"
    }

    /// Pairs of bodies that differ in one generation parameter: storing the first, then getting
    /// the second must miss, and each must find its own answer.
    static let differentParameters: [Variant] = [
        Variant(name: "tools get_weather vs get_news", body: #""tools":[{"type":"function","function":{"name":"get_weather"}}]|"tools":[{"type":"function","function":{"name":"get_news"}}]"#),
        Variant(name: "max_tokens 5 vs 4000", body: #""max_tokens":5|"max_tokens":4000"#),
        Variant(name: "response_format vs none", body: #""response_format":{"type":"json_object"}|"#),
        Variant(name: "params.seed 9007199254740993 vs 9007199254740992", body: #""params":{"seed":9007199254740993}|"params":{"seed":9007199254740992}"#),
        Variant(name: "params.seed 12345678901234567890 vs 12345678901234567891", body: #""params":{"seed":12345678901234567890}|"params":{"seed":12345678901234567891}"#),
        Variant(name: "top-level seed 1e400 vs 1e401", body: #""seed":1e400|"seed":1e401"#),
        Variant(name: "an unknown provider-specific member 1 vs 2", body: #""n":1|"n":2"#),
    ]

    @Test("a request differing in one generation parameter, top level or params, never gets the other's answer", arguments: differentParameters)
    func differentParameterMisses(variant: Variant) async throws {
        let halves = variant.body.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        try await withTestServer { api in
            let first = Self.hi(halves[0]), second = Self.hi(halves[1])
            let set = try await api.set(String(first.dropLast()) + #","response":{"content":"A"}}"#)
            #expect(set.status == .ok, "\(set.text)")
            let miss = try await api.get(second)
            #expect(miss.status == .ok, "\(miss.text)")
            #expect(miss.xCache == "MISS", "\(miss.text)")
            #expect(jsonBool(try miss.object()["hit"]) == false)
            _ = try await api.set(String(second.dropLast()) + #","response":{"content":"B"}}"#)
            let own = try await api.get(first).object()
            #expect(try canonicalJSON(own["response"]) == canonicalJSON(["content": "A"]))
            let other = try await api.get(second).object()
            #expect(try canonicalJSON(other["response"]) == canonicalJSON(["content": "B"]))
        }
    }

    @Test("stream true and false are accepted and are one key (stream is a control member)")
    func streamIsNotKeyMaterial() async throws {
        try await withTestServer { api in
            let set = try await api.set(Self.hi(#""stream":true,"response":{"content":"A"}"#))
            #expect(set.status == .ok, "\(set.text)")
            let hit = try await api.get(Self.hi(#""stream":false"#))
            #expect(hit.xCache == "HIT-edge", "\(hit.text)")
            #expect(try hit.object()["key"] as? String == set.object()["key"] as? String)
            #expect(try await api.get(Self.hi(#""stream":true"#)).xCache == "HIT-edge")
            #expect(try await api.get(Self.hi("")).xCache == "HIT-edge")
        }
    }

    @Test("max_tokens at the top level and in params is one entry; different values at both levels are 400")
    func topLevelAndParamsAreOneEntry() async throws {
        try await withTestServer { api in
            let set = try await api.set(Self.hi(#""max_tokens":5,"response":"five""#)).object()
            let hit = try await api.get(Self.hi(#""params":{"max_tokens":5}"#))
            #expect(hit.xCache == "HIT-edge", "\(hit.text)")
            #expect(try hit.object()["key"] as? String == set["key"] as? String)
            #expect(try await api.get(Self.hi(#""max_tokens":5,"params":{"max_tokens":5}"#)).xCache == "HIT-edge")
            let conflict = try await api.get(Self.hi(#""max_tokens":5,"params":{"max_tokens":4000}"#))
            try expectError(conflict, .badRequest, "INVALID_REQUEST")
            #expect(try conflict.object()["error"] as? String == #""max_tokens" is sent both at the top level and in params, with different values"#)
        }
    }

    @Test("message members other than role and content are key material over HTTP: name, tool_call_id, tool_calls, image parts")
    func messageMembersMiss() async throws {
        let messages = [
            #"[{"role":"user","content":"hi","name":"alice"}]"#,
            #"[{"role":"user","content":"hi","name":"bob"}]"#,
            #"[{"role":"tool","content":"72F","tool_call_id":"call_1"}]"#,
            #"[{"role":"tool","content":"72F","tool_call_id":"call_2"}]"#,
            #"[{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"get_weather","arguments":"{}"}}]}]"#,
            #"[{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"get_news","arguments":"{}"}}]}]"#,
            #"[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://img/1.png"}}]}]"#,
            #"[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://img/2.png"}}]}]"#,
        ]
        try await withTestServer { api in
            for (index, list) in messages.enumerated() {
                let set = try await api.set(#"{"provider":"openai","model":"gpt-4o","messages":\#(list),"response":\#(index)}"#)
                #expect(set.status == .ok, "\(set.text)")
            }
            for (index, list) in messages.enumerated() {
                let hit = try await api.get(#"{"provider":"openai","model":"gpt-4o","messages":\#(list)}"#).object()
                #expect(number(hit["response"]) == Double(index), "\(list)")
            }
        }
    }

    @Test("empty params object is the same request as params absent")
    func emptyParamsIsAbsent() async throws {
        try await withTestServer { api in
            let withEmpty = try await api.set(Body.set(response: "1", #""params":{}"#)).object()
            let without = try await api.explain(Body.chat()).object()
            #expect(withEmpty["key"] as? String == without["key"] as? String)
        }
    }
}
